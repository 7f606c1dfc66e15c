// npm run bench:move — what a move costs, on the harness (scripts/harness: three hosts, two data
// centers, 10 ms each way between them). Every host's agent runs the hello stack with the same files
// and a placement overlay (web on h3, the client on h2); `scs move` and `scs place`, run on h2, move
// them while a request goes from h2 to web every 50 ms through the address the client last wrote.
//
// - web (no data), start-first, h3 → h1 and back. Target: 0 failed requests.
// - the client (its volume stays on its host), --without-data, stop-first, h2 → h1 and back: how long
//   no client ran (its one-writer window). Target: back within 10 s.
// - quiet hours (`scs place`: everything onto h1) and the day layout again: how long each took.
// Then the blog with its data on EBS (test/helpers/blog-on-ebs.ts: moto in DC A's router, a loop
// device per disk), under a writer posting every 200 ms and a reader every 50 ms, from h2:
// - db h1 → h3 with its volume, stop-first, web's BLOG_DB_WAIT at 5 s. Target: writes back within 10 s.
// - db h3 → h1 with BLOG_DB_WAIT at 20 s. Targets: writes back within 10 s, and 0 failed reads.
// - quiet hours (web with its uploads, and backup without its data, onto h1, where db is) and the
//   seed layout again; then web h3 → h1 alone, stop-first: their windows, measured.

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LABEL } from '../src/docker/engine.ts';
import { BlogOnEbs } from '../test/helpers/blog-on-ebs.ts';
import {
  ADDRESS,
  engineOn,
  failedWindow,
  type Host,
  harnessDown,
  harnessProblem,
  harnessUpWith,
  probeFrom,
  readUpstream,
  scsOkOn,
  type scsOn,
  startDisco,
  volumeFile,
  writeHostOverlays,
  writeMoveFiles,
} from '../test/helpers/harness.ts';
import { eventually } from '../test/helpers/wait.ts';
import { printTable } from './lib/stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const HOSTS: readonly Host[] = ['h1', 'h2', 'h3'];
const WINDOW_TARGET_MS = 10_000;

const problem = harnessProblem();
if (problem) {
  console.error(`bench:move needs the harness: ${problem}`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'scs-bench-move-'));
let disco: ReturnType<typeof scsOn> | undefined;
const files = (host: Host) => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'placed.yaml'), '-f', join(dir, `${host}.yaml`)];
const run = (host: Host, ...args: string[]) => scsOkOn(host, args, dir);
const upstream = (host: Host) => volumeFile(host, 'hello-dev-client-state', 'upstream');

/** Every 50 ms, on which hosts a container of `service` runs; stop() gives the longest time none did. */
function watchService(service: string) {
  let stopped = false;
  let lastSeen = Date.now();
  let longestGap = 0;
  const loop = (async () => {
    while (!stopped) {
      const found = await Promise.all(
        HOSTS.map(async (host) =>
          (await engineOn(host).list({ [LABEL.stack]: 'hello', [LABEL.service]: service })).some((c) => c.state === 'running'),
        ),
      );
      const now = Date.now();
      if (found.some(Boolean)) {
        longestGap = Math.max(longestGap, now - lastSeen);
        lastSeen = now;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return longestGap;
    },
  };
}

async function timed(task: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await task();
  return Date.now() - started;
}

const rows: Array<Array<string | number>> = [];
try {
  cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
  writeHostOverlays(dir);
  writeMoveFiles(dir);
  console.log('bringing the harness up with the hello stack');
  await harnessUpWith(dir, 'hello', ['-f', join(dir, 'scs-stack.yaml')]);
  disco = await startDisco(dir);
  for (const host of ['h3', 'h1', 'h2'] as const) await run(host, 'up', '-d', '--debounce', '100ms', ...files(host));
  await eventually(() => readUpstream(upstream('h2')).startsWith(`${ADDRESS.h3}:`), 20_000, 'the client to use web on h3');

  for (const [from, to] of [
    ['h3', 'h1'],
    ['h1', 'h3'],
  ] as const) {
    const probe = probeFrom('h2', upstream('h2'));
    await eventually(() => probe.results.some((result) => result.ok), 10_000, 'a first request');
    const took = await timed(() => run('h2', 'move', 'web', '--to', to, ...files('h2')));
    await eventually(() => readUpstream(upstream('h2')).startsWith(`${ADDRESS[to]}:`), 20_000, `the client to follow web to ${to}`);
    await eventually(() => probe.results.filter((r) => r.upstream.startsWith(ADDRESS[to])).length >= 5, 10_000, `requests to ${to}`);
    await probe.stop();
    const { failures, windowMs } = failedWindow(probe.results);
    rows.push([
      `web ${from} → ${to}`,
      'start-first',
      `${failures} failed over ${windowMs} ms`,
      took,
      '0 failed',
      failures === 0 ? 'met' : 'MISS',
    ]);
  }

  for (const [from, to] of [
    ['h2', 'h1'],
    ['h1', 'h2'],
  ] as const) {
    const watch = watchService('client');
    const took = await timed(() => run('h2', 'move', 'client', '--to', to, '--without-data', ...files('h2')));
    const gap = await watch.stop();
    rows.push([
      `client ${from} → ${to} --without-data`,
      'stop-first',
      `no client for ${gap} ms`,
      took,
      `< ${WINDOW_TARGET_MS / 1000} s`,
      gap < WINDOW_TARGET_MS ? 'met' : 'MISS',
    ]);
  }

  const quiet = await timed(() => run('h2', 'place', join(dir, 'quiet.yaml'), ...files('h2')));
  rows.push(['quiet hours: web and client onto h1', 'scs place', '-', quiet, '-', '-']);
  const day = await timed(() => run('h2', 'place', join(dir, 'day.yaml'), ...files('h2')));
  rows.push(['the day layout again', 'scs place', '-', day, '-', '-']);
  printTable(
    'moves on the harness (hello; a request from h2 to web every 50 ms)',
    ['move', 'order', 'seen', 'command ms', 'target', ''],
    rows,
  );
} finally {
  await harnessDown(disco);
  rmSync(dir, { recursive: true, force: true });
}

console.log('\nbringing the harness up with the blog, its data on EBS');
const blog = await BlogOnEbs.start();
const blogRows: Array<Array<string | number>> = [];
try {
  const writesMet = (away: number) => (away < WINDOW_TARGET_MS ? 'met' : 'MISS');
  const row = (move: string, seen: Awaited<ReturnType<BlogOnEbs['underLoad']>>, target: string, met: string) =>
    blogRows.push([
      move,
      seen.tookMs,
      seen.writesAwayMs,
      `${seen.reads.failures} over ${seen.reads.windowMs} ms`,
      seen.lost.length,
      target,
      met,
    ]);
  const moveDb = (to: 'h1' | 'h3') => () => blog.run('h2', 'move', 'db', '--to', to, ...blog.files('h2'));
  const follow = (to: 'h1' | 'h3') => () =>
    eventually(() => readUpstream(blog.upstreamFile) === `${ADDRESS[to]}:8080`, 60_000, `the follower to follow web to ${to}`);

  let seen = await blog.underLoad('db h1 → h3', moveDb('h3'));
  row('db h1 → h3 (EBS, stop-first), BLOG_DB_WAIT 5 s', seen, `writes back < ${WINDOW_TARGET_MS / 1000} s`, writesMet(seen.writesAwayMs));
  await blog.dbWait(20);
  seen = await blog.underLoad('db h3 → h1', moveDb('h1'));
  const zero = seen.reads.failures === 0 && seen.writesAwayMs < WINDOW_TARGET_MS;
  row(
    'db h3 → h1 (EBS, stop-first), BLOG_DB_WAIT 20 s',
    seen,
    `writes < ${WINDOW_TARGET_MS / 1000} s, 0 failed reads`,
    zero ? 'met' : 'MISS',
  );
  seen = await blog.underLoad('quiet hours', () => blog.run('h2', 'place', join(blog.dir, 'quiet.yaml'), ...blog.files('h2')));
  row('quiet hours: web and backup (--without-data) onto h1', seen, '-', '-');
  seen = await blog.underLoad('day', async () => {
    await blog.run('h2', 'place', join(blog.dir, 'day.yaml'), ...blog.files('h2'));
    await follow('h3')();
  });
  row('the seed layout again: web to h3, backup to h2', seen, '-', '-');
  seen = await blog.underLoad('web h3 → h1', async () => {
    await blog.run('h2', 'move', 'web', '--to', 'h1', ...blog.files('h2'));
    await follow('h1')();
  });
  row('web h3 → h1 (EBS, stop-first)', seen, '-', '-');
  printTable(
    'the blog with its data on EBS (from h2: a post every 200 ms, a page every 50 ms, both where the follower points)',
    ['move', 'command ms', 'writes away ms', 'failed reads', 'posts lost', 'target', ''],
    blogRows,
  );
} finally {
  await blog.stop();
}
