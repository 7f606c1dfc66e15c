// npm run bench:move — what a move costs, on the harness (scripts/harness: three hosts, two data
// centers, 10 ms each way between them). Every host's agent runs the hello stack with the same files
// and a placement overlay (web on h3, the client on h2); `scs move` and `scs place`, run on h2, move
// them while a request goes from h2 to web every 50 ms through the address the client last wrote.
//
// - web (no data), start-first, h3 → h1 and back. Target: 0 failed requests.
// - the client (its volume stays on its host), --without-data, stop-first, h2 → h1 and back: how long
//   no client ran (its one-writer window). Target: back within 10 s.
// - quiet hours (`scs place`: everything onto h1) and the day layout again: how long each took.
// Not measured here yet: the blog with its data on EBS (needs moto where the hosts' namespaces reach it).

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LABEL } from '../src/docker/engine.ts';
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
  rows.push(['the blog with its data on EBS', 'stop-first', 'not measured here yet', '-', 'writes back < 10 s', '-']);
  printTable(
    'moves on the harness (hello; a request from h2 to web every 50 ms)',
    ['move', 'order', 'seen', 'command ms', 'target', ''],
    rows,
  );
} finally {
  await harnessDown(disco);
  rmSync(dir, { recursive: true, force: true });
}
