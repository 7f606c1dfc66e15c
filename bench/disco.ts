// npm run bench:disco — registrations per second, fan-out latency, memory per registration, and
// when etcd is installed: the same through two disco servers sharing their registry in etcd (HA:
// the provider on one, the subscribers on the other), and the fan-out of bare etcd watches. disco
// runs as its own process (`scs disco`), as in production; load and subscribers run here.

import { fileURLToPath } from 'node:url';
import { consola } from 'consola';
import { DiscoClient } from '../src/client/client.ts';
import { Etcd } from './lib/etcd.ts';
import { rssBytes, startProcess, which } from './lib/processes.ts';
import { ms, printTable, summarize } from './lib/stats.ts';

const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 100_000);
/** Fewer through etcd: each is a write to its raft log. */
const HA_REGISTRATIONS = Number(process.env.BENCH_HA_REGISTRATIONS ?? 20_000);
const WINDOW = 2000; // Requests in flight on the one connection.
/** Each registration carries two attributes of exactly 16 bytes, as the memory target is stated with. */
const ATTRIBUTES = { zone: 'us-east-1a-rack7', tier: 'backend-primary1' } as const;
/** The registration targets: HA at least half of in-memory's rate, and under 1 KiB of RSS per registration on both paths. */
const HA_RATIO_TARGET = 0.5;
const BYTES_TARGET = 1024;
const WIDTHS = [1, 100, 1000];
const ROUNDS: Record<number, number> = { 1: 1000, 100: 300, 1000: 300 };
const CONNECTIONS = 10; // Subscribers are spread over this many connections (fewer when W is smaller).

const logger = consola.create({ level: 1 });
const scs = fileURLToPath(new URL('../bin/scs.js', import.meta.url));

async function startDisco(extra: string[] = []) {
  const { child, match } = await startProcess(
    process.execPath,
    [
      scs,
      'disco',
      '--listen',
      '127.0.0.1:0',
      '--dns',
      'off',
      '--heartbeat-interval',
      '30s',
      '--heartbeat-timeout',
      '90s',
      // One session registers them all: past the default cap of 10,000 per session.
      '--max-provisions-per-session',
      String(Math.max(REGISTRATIONS, HA_REGISTRATIONS)),
      ...extra,
    ],
    /listening on tcp 127\.0\.0\.1:(\d+)/,
  );
  return { child, port: Number(match[1]) };
}

const connect = (port: number, name: string) => DiscoClient.connect({ host: '127.0.0.1', port, name, logger });

async function registrations(port: number, pid: number, count = REGISTRATIONS) {
  const client = await connect(port, 'bench-registrations');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rssBefore = rssBytes(pid);
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      await client.provide({
        name: `svc${i % 1000}.db.blog.prod`,
        host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        port: 3306,
        attrs: ATTRIBUTES,
      });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  const seconds = (performance.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const rssAfter = rssBytes(pid);
  await client.close();
  return { perSecond: count / seconds, bytesPer: (rssAfter - rssBefore) / count, rssAfter };
}

const WARMUP = 20; // Rounds run first and not counted, so JIT and buffers settle.

/** Counts events and resolves a waiter the moment the count reaches its target: no polling. */
class Counter {
  private count = 0;
  private waiter: { target: number; resolve(): void } | undefined;

  add(n: number): void {
    this.count += n;
    if (this.waiter && this.count >= this.waiter.target) {
      this.waiter.resolve();
      this.waiter = undefined;
    }
  }

  reset(): void {
    this.count = 0;
  }

  reach(target: number, timeoutMs = 10_000): Promise<void> {
    if (this.count >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out at ${this.count} of ${target}`)), timeoutMs);
      this.waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }
}

/** Subscribers on `port`, the provider on `providerPort` (another server sharing the registry, for HA). */
async function discoFanout(port: number, width: number, providerPort = port): Promise<number[]> {
  const name = `fan${width}.db.blog.prod`;
  const connections = await Promise.all(Array.from({ length: Math.min(width, CONNECTIONS) }, (_, i) => connect(port, `bench-sub-${i}`)));
  const adds = new Counter();
  const drops = new Counter();
  await Promise.all(
    Array.from({ length: width }, (_, i) =>
      connections[i % connections.length]!.require({ name }, (event) => {
        adds.add(event.add.length);
        drops.add(event.drop.length);
      }),
    ),
  );
  const provider = await connect(providerPort, 'bench-provider');
  const samples: number[] = [];
  for (let round = 0; round < WARMUP + ROUNDS[width]!; round++) {
    adds.reset();
    drops.reset();
    const handle = await provider.provide({ name, host: '10.0.0.5', port: 3306 });
    await adds.reach(width);
    const started = performance.now();
    void handle.drop();
    await drops.reach(width);
    if (round >= WARMUP) samples.push(performance.now() - started);
  }
  await provider.close();
  await Promise.all(connections.map((c) => c.close()));
  return samples;
}

async function etcdFanout(etcd: Etcd, width: number): Promise<number[]> {
  const prefix = `/scs/fan${width}/`;
  const puts = new Counter();
  const deletes = new Counter();
  const cancels = await Promise.all(
    Array.from({ length: width }, () => etcd.watch(prefix, (type) => (type === 'PUT' ? puts : deletes).add(1))),
  );
  const samples: number[] = [];
  for (let round = 0; round < WARMUP + ROUNDS[width]!; round++) {
    puts.reset();
    deletes.reset();
    await etcd.put(`${prefix}10.0.0.5:3306`, '{"az":"us-east-1a"}');
    await puts.reach(width);
    const started = performance.now();
    void etcd.delete(`${prefix}10.0.0.5:3306`);
    await deletes.reach(width);
    if (round >= WARMUP) samples.push(performance.now() - started);
  }
  for (const cancel of cancels) cancel();
  return samples;
}

async function main() {
  console.log(
    `disco benchmark: ${REGISTRATIONS} registrations over one connection (${WINDOW} in flight); fan-out W = ${WIDTHS.join(', ')} subscribers over up to ${CONNECTIONS} connections`,
  );
  const disco = await startDisco();
  const etcd = which('etcd') ? await Etcd.start() : undefined;
  if (!etcd) console.log('etcd is not installed (apt-get install etcd-server): the HA and etcd columns stay empty');
  const ha = etcd
    ? await Promise.all([0, 1].map(() => startDisco(['--etcd', `http://127.0.0.1:${etcd.port}`, '--grace', '60s'])))
    : undefined;
  try {
    // Fan-out first: the registration phase leaves 100,000 dropped registrations for the collector.
    const rows: Array<Array<string | number>> = [];
    for (const width of WIDTHS) {
      const ours = summarize(await discoFanout(disco.port, width));
      const shared = ha ? summarize(await discoFanout(ha[1]!.port, width, ha[0]!.port)) : undefined;
      const theirs = etcd ? summarize(await etcdFanout(etcd, width)) : undefined;
      rows.push([
        width,
        ms(ours.p50),
        ms(ours.p99),
        shared ? ms(shared.p50) : '-',
        shared ? ms(shared.p99) : '-',
        shared ? `${(shared.p99 / ours.p99).toFixed(1)}x` : '-',
        theirs ? ms(theirs.p50) : '-',
        theirs ? ms(theirs.p99) : '-',
        theirs ? `${(theirs.p50 / ours.p50).toFixed(1)}x / ${(theirs.p99 / ours.p99).toFixed(1)}x` : '-',
      ]);
    }
    printTable(
      'Fan-out: a provider drops, until all W subscribers have the drop (ms)',
      ['W', 'disco p50', 'disco p99', 'HA p50', 'HA p99', 'HA/disco p99', 'etcd p50', 'etcd p99', 'etcd/disco p50 / p99'],
      rows,
    );
    const reg = await registrations(disco.port, disco.child.pid!);
    const haReg = ha ? await registrations(ha[0]!.port, ha[0]!.child.pid!, HA_REGISTRATIONS) : undefined;
    const ratio = (of: number | undefined, to: number) => (of === undefined ? '-' : `${(of / to).toFixed(2)}x`);
    const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
    const bytesMet = reg.bytesPer < BYTES_TARGET && (!haReg || haReg.bytesPer < BYTES_TARGET);
    printTable(
      `Registrations (one connection, pipelined, attributes zone and tier of 16 bytes each; HA: ${HA_REGISTRATIONS} through etcd)`,
      ['metric', 'disco', 'HA', 'HA/disco', 'target', ''],
      [
        [
          'registrations/s',
          Math.round(reg.perSecond),
          haReg ? Math.round(haReg.perSecond) : '-',
          ratio(haReg?.perSecond, reg.perSecond),
          `HA >= ${HA_RATIO_TARGET}x`,
          haReg ? verdict(haReg.perSecond >= HA_RATIO_TARGET * reg.perSecond) : '-',
        ],
        [
          'RSS per registration (bytes)',
          Math.round(reg.bytesPer),
          haReg ? Math.round(haReg.bytesPer) : '-',
          ratio(haReg?.bytesPer, reg.bytesPer),
          `< ${BYTES_TARGET} on both`,
          verdict(bytesMet),
        ],
        [
          `server RSS after (MiB; disco ${REGISTRATIONS}, HA ${HA_REGISTRATIONS})`,
          (reg.rssAfter / 2 ** 20).toFixed(1),
          haReg ? (haReg.rssAfter / 2 ** 20).toFixed(1) : '',
          '',
          '',
          '',
        ],
      ],
    );
    console.log('\ntarget: disco p99 < 10 ms at W = 1000, and faster than etcd at every W');
  } finally {
    disco.child.kill('SIGTERM');
    for (const server of ha ?? []) server.child.kill('SIGTERM');
    etcd?.stop();
  }
}

await main();
