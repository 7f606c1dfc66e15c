// The running-stack half of bench:up. A relay service requires web and serves its page; a client
// on the host asks the relay every 50 ms while web is replaced or crashes, and counts what failed.
//  - replacement: web's config changes and `scs up web` rolls it out, start-first (web is stateless)
//    and stop-first (web published on a fixed port); docker-compose recreating web, for reference;
//  - crash: web's process is killed and Docker restarts it; time until the relay answers again;
//  - crash of one of two instances (`replicas: 2`), 10 times: requests the relay failed meanwhile.

import './lib/state-folder.ts';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Engine, LABEL } from '../src/docker/engine.ts';
import { which } from './lib/processes.ts';
import { ms, printTable, summarize } from './lib/stats.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const scs = join(root, 'bin/scs.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** The figure: ten crashes of one instance of two. */
const REPLICA_CRASHES = 10;
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Asks `url` every 50 ms until stopped. A request fails on an error, a timeout (2 s), or anything but
 * a 200 with web's page: the relay answers 502 when it cannot reach web.
 */
function hammer(url: string) {
  let stopped = false;
  const outcome = { ok: 0, failed: 0 };
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        const body = await response.text();
        if (response.ok && body.includes('(') && !body.includes('no upstream answered')) outcome.ok++;
        else outcome.failed++;
      } catch {
        outcome.failed++;
      }
      await sleep(Math.max(0, 50 - (performance.now() - started)));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return outcome;
    },
  };
}

async function untilServed(url: string, expect: string, timeoutMs = 30_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok && (await response.text()).includes(expect)) return performance.now() - started;
    } catch {
      // Not yet.
    }
    if (performance.now() - started > timeoutMs) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(5);
  }
}

export async function benchOperate(engine: Engine): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'scs-bench-operate-'));
  cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
  cpSync(join(root, 'bench/stacks/relay'), join(dir, 'relay'), { recursive: true });
  cpSync(join(root, 'bench/stacks/relay/stack.yaml'), join(dir, 'relay.yaml'));
  writeFileSync(join(dir, 'env.yaml'), 'environment: benchop\n');
  const base = ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'relay.yaml'), '-f', join(dir, 'env.yaml')];
  const scsIn = (...args: string[]) => run(process.execPath, [scs, ...args], { cwd: dir });
  const rows: Array<Array<string | number>> = [];
  const crashes: number[] = [];
  const replicaCrashes = { ok: 0, failed: 0 };
  try {
    await scsIn('up', '-d', '--debounce', '100ms', ...base, 'web', 'relay');
    const [relay] = await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'benchop', [LABEL.service]: 'relay' });
    // The port published on loopback: Docker may give the advertised address's binding another one.
    const bindings = (await engine.docker.getContainer(relay!.id).inspect()).NetworkSettings.Ports['8081/tcp'] ?? [];
    const loopback = bindings.find((binding) => binding.HostIp === '127.0.0.1')?.HostPort;
    const url = `http://127.0.0.1:${loopback}/cgi-bin/relay`;
    await untilServed(url, 'hello from scs');

    for (const [order, extra] of [
      ['start-first', []],
      ['stop-first', ['publish']],
    ] as const) {
      let files: string[] = [...base];
      if (extra.length > 0) {
        writeFileSync(join(dir, 'fixed.yaml'), 'services:\n  web:\n    provides:\n      http: { publish: 18080 }\n');
        files = [...files, '-f', join(dir, 'fixed.yaml')];
        await scsIn('up', ...files, 'web');
        await untilServed(url, 'hello from scs');
      }
      const outcome = { ok: 0, failed: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        const greeting = `round ${order} ${round} ${Date.now()}`;
        writeFileSync(join(dir, 'greeting.yaml'), `services:\n  web:\n    config:\n      GREETING: ${greeting}\n`);
        await scsIn('build', ...files, '-f', join(dir, 'greeting.yaml')); // The image is built before the clock starts.
        const client = hammer(url);
        await sleep(300);
        await scsIn('up', ...files, '-f', join(dir, 'greeting.yaml'), 'web');
        await untilServed(url, greeting);
        await sleep(1000);
        const got = await client.stop();
        outcome.ok += got.ok;
        outcome.failed += got.failed;
      }
      rows.push([`scs up web, ${order}`, ROUNDS, outcome.ok + outcome.failed, outcome.failed, order === 'start-first' ? '0' : '-']);
    }

    // Crashes: web's process is killed; Docker restarts web (restart: always), and the relay follows.
    await scsIn('up', ...base, 'web');
    await untilServed(url, 'hello from scs');
    for (let i = 0; i < ROUNDS; i++) {
      const [web] = await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'benchop', [LABEL.service]: 'web' });
      await untilServed(url, 'hello from scs');
      // Docker backs off restarts of a container that ran less than 10 s: wait that out between crashes.
      await sleep(10_500);
      const killed = performance.now();
      await engine.exec(web!.id, ['sh', '-c', 'kill -9 $(pidof httpd)'], {}).catch(() => undefined);
      await untilServed(url, 'hello from scs', 30_000);
      crashes.push(performance.now() - killed);
    }

    // Two instances: one's process is killed inside (`kill 1`), the other serving meanwhile. Each
    // instance is killed every other round, so Docker's back-off (a container that ran under 10 s)
    // never delays a restart.
    writeFileSync(join(dir, 'replicas.yaml'), 'services:\n  web:\n    replicas: 2\n');
    await scsIn('up', ...base, '-f', join(dir, 'replicas.yaml'), 'web');
    await untilServed(url, 'hello from scs');
    const client = hammer(url);
    for (let i = 0; i < REPLICA_CRASHES; i++) {
      await sleep(5_500);
      const webs = await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'benchop', [LABEL.service]: 'web' });
      const victim = webs.find((c) => (i % 2 === 0) === (c.labels[LABEL.instance] === undefined));
      await engine.exec(victim!.id, ['kill', '1'], {}).catch(() => undefined);
    }
    await sleep(5_500);
    Object.assign(replicaCrashes, await client.stop());
  } finally {
    await scsIn('down', '--volumes', ...base).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }

  if (which('docker-compose')) rows.push(await composeReplacement(engine));
  else console.log('docker-compose is not installed (apt-get install docker-compose): no reference row');
  printTable(
    `Replacing web while a client asks the relay every 50 ms (${ROUNDS} rounds each)`,
    ['how', 'rounds', 'requests', 'failed', 'target'],
    rows,
  );
  const crash = summarize(crashes);
  printTable(
    "web's process killed until the relay answers again, Docker restarting web (ms)",
    ['samples', 'median', 'max', 'target'],
    [[crashes.length, ms(crash.p50), ms(crash.max), 'median <= 400']],
  );
  printTable(
    `One of web's two instances killed inside (kill 1), ${REPLICA_CRASHES} times, a client asking the relay every 50 ms`,
    ['crashes', 'requests', 'failed', 'target', 'met'],
    [
      [
        REPLICA_CRASHES,
        replicaCrashes.ok + replicaCrashes.failed,
        replicaCrashes.failed,
        '0',
        replicaCrashes.failed === 0 ? 'yes' : 'MISS',
      ],
    ],
  );
}

/** The same replacement with docker-compose: web's environment changes and `up -d web` recreates it. */
async function composeReplacement(engine: Engine): Promise<Array<string | number>> {
  const dir = mkdtempSync(join(tmpdir(), 'scs-bench-compose-'));
  const tags = { web: '', relay: '' };
  for (const service of ['web', 'relay'] as const) {
    const [image] = (await engine.docker.listImages({ filters: { reference: [`scs/hello-${service}`] } })).sort(
      (a, b) => b.Created - a.Created,
    );
    tags[service] = image!.RepoTags!.find((tag) => tag.startsWith(`scs/hello-${service}`))!;
  }
  const file = (greeting: string) => `version: "2.4"
services:
  web:
    image: ${tags.web}
    environment: { GREETING: "${greeting}" }
  relay:
    image: ${tags.relay}
    environment: { SCS_REQUIRE_HTTP: "web:8080" }
    ports: ["8081"]
`;
  const compose = (...args: string[]) => run('docker-compose', ['-p', 'scsbenchop', ...args], { cwd: dir });
  mkdirSync(dir, { recursive: true });
  const outcome = { ok: 0, failed: 0 };
  try {
    writeFileSync(join(dir, 'docker-compose.yml'), file('round start'));
    await compose('up', '-d');
    const port = (await compose('port', 'relay', '8081')).stdout.trim().split(':').pop();
    const url = `http://127.0.0.1:${port}/cgi-bin/relay`;
    await untilServed(url, 'round');
    for (let round = 0; round < ROUNDS; round++) {
      const greeting = `round compose ${round} ${Date.now()}`;
      writeFileSync(join(dir, 'docker-compose.yml'), file(greeting));
      const client = hammer(url);
      await sleep(300);
      await compose('up', '-d', 'web');
      await untilServed(url, greeting);
      await sleep(1000);
      const got = await client.stop();
      outcome.ok += got.ok;
      outcome.failed += got.failed;
    }
  } finally {
    await compose('down', '-v').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return ['docker-compose up -d web (recreates)', ROUNDS, outcome.ok + outcome.failed, outcome.failed, '-'];
}
