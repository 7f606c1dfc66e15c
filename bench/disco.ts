// npm run bench:disco — registrations per second, fan-out latency, memory per registration, and
// when etcd is installed: the same through two disco servers sharing their registry in etcd (HA:
// the provider on one, the subscribers on the other), and the fan-out of bare etcd watches. disco
// runs as its own process (`scs disco`), as in production; load and subscribers run here.

import { BareSubscriber } from './lib/bare-subscriber.ts';
import { Counter } from './lib/counter.ts';
import { cpuMs } from './lib/cpu.ts';
import { connect, type DiscoProcess, startDisco, WITHOUT_DNS } from './lib/disco-process.ts';
import { Etcd } from './lib/etcd.ts';
import { fanoutRound } from './lib/fanout.ts';
import { rssBytes, which } from './lib/processes.ts';
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
/** Subscribers per fan-out (BENCH_WIDTHS=1000,10000 for fewer). */
const WIDTHS = (process.env.BENCH_WIDTHS ?? '1,100,1000,10000').split(',').map(Number);
/** Rounds counted per W: fewer at 10,000, where a round of etcd watches takes a large part of a second. */
const DEFAULT_ROUNDS: Record<number, number> = { 1: 1000, 100: 300, 1000: 300, 10000: 50 };
const roundsAt = (width: number) => Number(process.env.BENCH_ROUNDS ?? DEFAULT_ROUNDS[width] ?? 100);
/** Subscriptions per disco connection at every W (W = 10,000 is 100 connections; W below 100 is one). */
const PER_CONNECTION = 100;
/** Times the whole fan-out measurement is repeated (`--runs 5` or BENCH_RUNS=5): a target is met only if every run meets it. */
const RUNS = Number(runsFlag() ?? process.env.BENCH_RUNS ?? 1);
/** BENCH_PARTS=fanout skips the registrations. */
const PARTS = process.env.BENCH_PARTS ?? 'fanout,registrations';
/**
 * What a disco subscriber is: `bare` (the default), a socket read with JSON.parse and acked, as the
 * etcd watchers are; `client`, the DiscoClient library, whose parsing and views in this one process
 * are most of the time at W = 10,000.
 */
const SUBSCRIBER = process.env.BENCH_SUBSCRIBER ?? 'bare';
/** BENCH_SYSTEMS=disco measures the fan-out of disco alone (skips HA and etcd watches). */
const SYSTEMS = process.env.BENCH_SYSTEMS ?? 'disco,ha,etcd';
/** BENCH_CPU_PROF=/tmp/dir: every disco server writes a .cpuprofile there when it stops. */
const CPU_PROF = process.env.BENCH_CPU_PROF;
/** The fan-out targets (p99, ms) of issue 33: every system under its bound at every W it names. */
const FANOUT_TARGETS: Record<number, number> = { 1000: 10, 10000: 50 };

function runsFlag(): string | undefined {
  const at = process.argv.indexOf('--runs');
  return at === -1 ? undefined : process.argv[at + 1];
}

/** BENCH_SCS=/path/to/bin/scs.js measures another build (an earlier one, back to back with this one). */
const startServer = (extra: string[] = []) =>
  startDisco(
    [
      ...WITHOUT_DNS,
      // One session registers them all: past the default cap of 10,000 per session.
      '--max-provisions-per-session',
      String(Math.max(REGISTRATIONS, HA_REGISTRATIONS)),
      ...extra,
    ],
    { node: CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [], scs: process.env.BENCH_SCS },
  );

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

/** One fan-out measurement: the samples (ms), and the CPU the servers spent per counted round (an add and a drop). */
interface Fanout {
  readonly samples: number[];
  readonly cpuMsPerRound: number;
  /** The same for this process, where every subscriber reads and acks. */
  readonly subscribersCpuMsPerRound: number;
}

/** CPU milliseconds this process (the subscribers and the provider) has used so far. */
const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** CPU milliseconds the given processes have used together so far. */
const cpuOf = (pids: readonly number[]) => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);

/**
 * Subscribers on `port`, the provider on `providerPort` (another server sharing the registry, for
 * HA); `pids` are the servers whose CPU is counted. One subscription per subscriber, 100 to a connection.
 */
async function discoFanout(pids: readonly number[], port: number, width: number, providerPort = port): Promise<Fanout> {
  const name = `fan${width}.db.blog.prod`;
  const count = Math.ceil(width / PER_CONNECTION);
  const adds = new Counter();
  const drops = new Counter();
  const onChanged = (add: number, drop: number) => {
    adds.add(add);
    drops.add(drop);
  };
  const subscribers: Array<{ close(): unknown }> = [];
  if (SUBSCRIBER === 'bare') {
    const sizes = Array.from({ length: count }, (_, i) => Math.min(PER_CONNECTION, width - i * PER_CONNECTION));
    subscribers.push(...(await Promise.all(sizes.map((size) => BareSubscriber.open(port, name, size, onChanged)))));
  } else {
    const clients = await Promise.all(Array.from({ length: count }, (_, i) => connect(port, `bench-sub-${i}`)));
    await Promise.all(
      Array.from({ length: width }, (_, i) =>
        clients[i % count]!.require({ name }, (event) => onChanged(event.add.length, event.drop.length)),
      ),
    );
    subscribers.push(...clients);
  }
  const provider = await connect(providerPort, 'bench-provider');
  const samples: number[] = [];
  let cpuAtStart = 0;
  let ownAtStart = 0;
  const rounds = roundsAt(width);
  for (let round = 0; round < WARMUP + rounds; round++) {
    if (round === WARMUP) [cpuAtStart, ownAtStart] = [cpuOf(pids), ownCpuMs()];
    const took = await fanoutRound(
      width,
      adds,
      drops,
      () => provider.provide({ name, host: '10.0.0.5', port: 3306 }),
      (handle) => handle.drop(),
    );
    if (round >= WARMUP) samples.push(took);
  }
  const cpuMsPerRound = (cpuOf(pids) - cpuAtStart) / rounds;
  const subscribersCpuMsPerRound = (ownCpuMs() - ownAtStart) / rounds;
  await provider.close();
  await Promise.all(subscribers.map((subscriber) => subscriber.close()));
  return { samples, cpuMsPerRound, subscribersCpuMsPerRound };
}

/** W watches on one prefix, each its own stream over its own connection to etcd's JSON gateway. */
async function etcdFanout(etcd: Etcd, width: number): Promise<Fanout> {
  const prefix = `/scs/fan${width}/`;
  const puts = new Counter();
  const deletes = new Counter();
  const cancels: Array<() => void> = [];
  // Opened a thousand at a time: etcd's gateway answers each with a round trip to etcd's gRPC side.
  for (let opened = 0; opened < width; opened += 1000) {
    const batch = Array.from({ length: Math.min(1000, width - opened) }, () =>
      etcd.watch(prefix, (type) => (type === 'PUT' ? puts : deletes).add(1)),
    );
    cancels.push(...(await Promise.all(batch)));
  }
  const samples: number[] = [];
  let cpuAtStart = 0;
  let ownAtStart = 0;
  const rounds = roundsAt(width);
  for (let round = 0; round < WARMUP + rounds; round++) {
    if (round === WARMUP) [cpuAtStart, ownAtStart] = [cpuMs(etcd.pid), ownCpuMs()];
    const took = await fanoutRound(
      width,
      puts,
      deletes,
      () => etcd.put(`${prefix}10.0.0.5:3306`, '{"az":"us-east-1a"}'),
      () => etcd.delete(`${prefix}10.0.0.5:3306`),
    );
    if (round >= WARMUP) samples.push(took);
  }
  const cpuMsPerRound = (cpuMs(etcd.pid) - cpuAtStart) / rounds;
  const subscribersCpuMsPerRound = (ownCpuMs() - ownAtStart) / rounds;
  for (const cancel of cancels) cancel();
  return { samples, cpuMsPerRound, subscribersCpuMsPerRound };
}

type Started = DiscoProcess;
/** One run's p99 per system and W (undefined where that system is not measured). */
type RunP99 = Map<number, { disco: number; ha: number | undefined; etcd: number | undefined }>;

/** One pass of the fan-out measurement over every W: prints its table, returns its p99s. */
async function fanoutRun(run: number, disco: Started, ha: Started[] | undefined, etcd: Etcd | undefined): Promise<RunP99> {
  const rows: Array<Array<string | number>> = [];
  const p99s: RunP99 = new Map();
  for (const width of WIDTHS) {
    const oursRun = await discoFanout([disco.pid], disco.port, width);
    const haRun = ha && SYSTEMS.includes('ha') ? await discoFanout([ha[0]!.pid, ha[1]!.pid], ha[1]!.port, width, ha[0]!.port) : undefined;
    const etcdRun = etcd && SYSTEMS.includes('etcd') ? await etcdFanout(etcd, width) : undefined;
    const ours = summarize(oursRun.samples);
    const shared = haRun && summarize(haRun.samples);
    const theirs = etcdRun && summarize(etcdRun.samples);
    p99s.set(width, { disco: ours.p99, ha: shared?.p99, etcd: theirs?.p99 });
    const cpu = (of: Fanout | undefined) => (of ? `${of.cpuMsPerRound.toFixed(1)} / ${of.subscribersCpuMsPerRound.toFixed(1)}` : '-');
    rows.push([
      width,
      roundsAt(width),
      ms(ours.p50),
      ms(ours.p99),
      cpu(oursRun),
      shared ? ms(shared.p50) : '-',
      shared ? ms(shared.p99) : '-',
      cpu(haRun),
      theirs ? ms(theirs.p50) : '-',
      theirs ? ms(theirs.p99) : '-',
      cpu(etcdRun),
      theirs ? `${(theirs.p50 / ours.p50).toFixed(1)}x / ${(theirs.p99 / ours.p99).toFixed(1)}x` : '-',
    ]);
  }
  printTable(
    `Fan-out${RUNS > 1 ? ` (run ${run + 1} of ${RUNS})` : ''}: a provider drops, until all W subscribers have the drop (ms); CPU: ms per round (an add and a drop), the servers' / the subscribers'`,
    [
      'W',
      'rounds',
      'disco p50',
      'disco p99',
      'disco CPU',
      'HA p50',
      'HA p99',
      'HA CPU',
      'etcd p50',
      'etcd p99',
      'etcd CPU',
      'etcd/disco p50 / p99',
    ],
    rows,
  );
  return p99s;
}

/** Each run's p99 against the targets: under the bound at W = 1,000 and 10,000, and under etcd's at 10,000. */
function printFanoutTargets(runs: readonly RunP99[]): void {
  const rows: Array<Array<string | number>> = [];
  for (const width of WIDTHS.filter((w) => FANOUT_TARGETS[w] !== undefined)) {
    const bound = FANOUT_TARGETS[width]!;
    for (const system of ['disco', 'ha', 'etcd'] as const) {
      const figures = runs.map((run) => run.get(width)![system]);
      if (figures.some((figure) => figure === undefined)) continue;
      const meets = (figure: number, i: number) => {
        const etcdP99 = runs[i]!.get(width)!.etcd;
        return figure < bound && (width < 10000 || system === 'etcd' || etcdP99 === undefined || figure < etcdP99);
      };
      const all = (figures as number[]).every(meets);
      const target = `p99 < ${bound} ms${width >= 10000 && system !== 'etcd' ? ' and < etcd' : ''}`;
      rows.push([width, system === 'ha' ? 'HA' : system, (figures as number[]).map(ms).join(' '), target, all ? 'met' : 'MISSED']);
    }
  }
  printTable(
    `Fan-out targets over ${runs.length} run(s): met only if every run meets it`,
    ['W', 'system', 'p99 per run (ms)', 'target', ''],
    rows,
  );
}

async function main() {
  console.log(
    `disco benchmark: ${REGISTRATIONS} registrations over one connection (${WINDOW} in flight); fan-out W = ${WIDTHS.join(', ')} subscriptions, ${PER_CONNECTION} to a connection on disco (${SUBSCRIBER} subscribers), one watch to a connection on etcd; ${RUNS} run(s)`,
  );
  const disco = await startServer();
  const etcd = which('etcd') ? await Etcd.start() : undefined;
  if (!etcd) console.log('etcd is not installed (apt-get install etcd-server): the HA and etcd columns stay empty');
  const ha = etcd
    ? await Promise.all([0, 1].map(() => startServer(['--etcd', `http://127.0.0.1:${etcd.port}`, '--grace', '60s'])))
    : undefined;
  try {
    // Fan-out first: the registration phase leaves 100,000 dropped registrations for the collector.
    if (PARTS.includes('fanout')) {
      const runs: RunP99[] = [];
      for (let run = 0; run < RUNS; run++) runs.push(await fanoutRun(run, disco, ha, etcd));
      printFanoutTargets(runs);
    }
    if (!PARTS.includes('registrations')) return;
    const reg = await registrations(disco.port, disco.pid);
    const haReg = ha ? await registrations(ha[0]!.port, ha[0]!.pid, HA_REGISTRATIONS) : undefined;
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
  } finally {
    disco.stop();
    for (const server of ha ?? []) server.stop();
    etcd?.stop();
  }
}

await main();
