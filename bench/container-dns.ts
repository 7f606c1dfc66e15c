// npm run bench:container-dns — DNS where applications live (docs/dns.md#dns-for-containers).
//  1. A legacy client in a container fetches http://web:8080/ by name every 20 ms while web's process
//     is killed and Docker restarts it: the time from the kill to the next success, next to the
//     time Docker itself takes to run the container again.
//  2. dnsperf against the host's DNS on the stack network's gateway and against the embedded disco's
//     own DNS, with the same questions: what the agent's mirror and split horizon cost. bench:dns
//     compares disco's DNS with Knot.

import './lib/state-folder.ts';
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hostLabel } from '../src/agent/identity.ts';
import { readState } from '../src/agent/state.ts';
import { stateFolder } from '../src/agent/state-folder.ts';
import { Engine, LABEL } from '../src/docker/engine.ts';
import { dnsperf } from './lib/dnsperf.ts';
import { which } from './lib/processes.ts';
import { ms, printTable, summarize } from './lib/stats.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const scs = join(root, 'bin/scs.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Docker doubles the delay before each restart of a container that ran less than 10 s: wait it out. */
const BETWEEN_ROUNDS_MS = 11_000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Each line the client's loop prints, with the time it arrived. */
function followClient(container: string) {
  // busybox wget says "bad address" when the name did not resolve: those failures are the DNS's.
  const script =
    'while :; do if out=$(wget -q -O /dev/null http://web:8080/ 2>&1); then echo ok; else case "$out" in *"bad address"*) echo dns;; *) echo fail;; esac; fi; usleep 20000; done';
  const child = spawn('docker', ['exec', container, 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines: Array<{ at: number; ok: boolean; dns: boolean }> = [];
  createInterface({ input: child.stdout }).on('line', (line) =>
    lines.push({ at: performance.now(), ok: line === 'ok', dns: line === 'dns' }),
  );
  return { lines, stop: () => child.kill('SIGKILL') };
}

async function restarts(
  engine: Engine,
  web: string,
  client: string,
): Promise<{ rows: Array<[string, number[]]>; dnsFailures: number; attempts: number }> {
  const follow = followClient(client);
  const recovery: number[] = [];
  const dockerRestart: number[] = [];
  try {
    await sleep(1000);
    for (let round = 0; round < ROUNDS; round++) {
      const before = (await engine.inspect(web))!;
      const killedAt = performance.now();
      await run('docker', ['exec', web, 'kill', '1']);
      let back: number | undefined;
      while (performance.now() - killedAt < 20_000) {
        const now = await engine.inspect(web);
        if (back === undefined && now?.running && now.startedAt !== before.startedAt) back = performance.now();
        const failed = follow.lines.findIndex((line) => line.at > killedAt && !line.ok);
        const okAfter = failed >= 0 && follow.lines.slice(failed).find((line) => line.ok);
        if (back !== undefined && okAfter) {
          recovery.push(okAfter.at - killedAt);
          dockerRestart.push(back - killedAt);
          break;
        }
        await sleep(10);
      }
      await sleep(BETWEEN_ROUNDS_MS);
    }
  } finally {
    follow.stop();
  }
  return {
    rows: [
      ['kill → Docker has web running again', dockerRestart],
      ['kill → the next fetch of http://web:8080/ by name succeeds', recovery],
    ],
    dnsFailures: follow.lines.filter((line) => line.dns).length,
    attempts: follow.lines.length,
  };
}

async function main() {
  const engine = new Engine();
  await engine.ping();
  await run(join(root, 'scripts/base-image'));
  const dir = mkdtempSync(join(tmpdir(), 'scs-bench-container-dns-'));
  cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
  writeFileSync(join(dir, 'bench.yaml'), 'environment: bench\n');
  const files = ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'bench.yaml')];
  await run(process.execPath, [scs, 'up', '-d', ...files]);
  try {
    const containerOf = async (name: string) =>
      (await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'bench', [LABEL.service]: name }))[0]!.id;
    const [web, client] = [await containerOf('web'), await containerOf('client')];
    console.log(`container DNS benchmark: ${ROUNDS} restarts of web; dnsperf ${SECONDS} s per server`);
    const measured = await restarts(engine, web, client);
    const rows = measured.rows.map(([what, samples]) => {
      const { p50, max } = summarize(samples);
      return [what, samples.length, ms(p50), ms(max)];
    });
    printTable('provider restart, legacy client by name (ms)', ['interval', 'rounds', 'p50', 'max'], rows);
    console.log(`fetches whose name did not resolve: ${measured.dnsFailures} of ${measured.attempts}`);

    if (!which('dnsperf')) {
      console.log('\n(dnsperf is not installed: apt-get install dnsperf)');
      return;
    }
    const folder = stateFolder(hostLabel(), 'hello');
    const state = readState(folder)!;
    const [hostDnsAddress, hostDnsPort] = state.dns!.split(':') as [string, string];
    const log = readFileSync(join(folder, 'agent.log'), 'utf8');
    const discoDns = /DNS on 127\.0\.0\.1:(\d+)/.exec(log)?.[1];
    const queries = join(dir, 'queries.txt');
    writeFileSync(queries, ['web.hello.bench.disco A', '_http._tcp.web.hello.bench.disco SRV', 'client.hello.bench.disco A'].join('\n'));
    const answered: Array<Array<string | number>> = [];
    for (const [name, server, port] of [
      ['host DNS on the stack network gateway', hostDnsAddress, Number(hostDnsPort)],
      ['embedded disco DNS (loopback)', '127.0.0.1', Number(discoDns)],
    ] as const) {
      await dnsperf(server, port, queries, SECONDS); // warm-up
      const r = await dnsperf(server, port, queries, SECONDS);
      answered.push([name, Math.round(r.qps), r.avgMs.toFixed(3), r.lost]);
    }
    printTable('DNS answers per second (dnsperf from the host, same questions)', ['server', 'queries/s', 'avg ms', 'lost'], answered);
  } finally {
    await run(process.execPath, [scs, 'down', ...files]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
