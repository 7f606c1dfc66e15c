// npm run bench:scale — how cost grows: registrations at 10k, 100k and 1M (in memory; 10k and 100k
// through etcd, HA) against bare etcd; fan-out to 1 … 10,000 subscribers against etcd watches; DNS
// at 1k, 10k and 100k names against Knot. disco runs as its own process (`scs disco`, the bundle in
// dist/: npm run build first); the load, the subscribers and the timing run here.
//
//   npm run bench:scale -- --quick                 smaller sizes, about a minute
//   npm run bench:scale -- --only registrations    one part (registrations, subscribers or dns)
//   npm run bench:scale -- --svg DIR               where the plot goes (default: the temporary folder)
//   BENCH_SECONDS=10 npm run bench:scale           seconds a dnsperf run (default 5; 2 with --quick)
//
// The script runs Node with --max-old-space-size (package.json): the bench's own client holds a
// million provisions (each kept for a resume) at the largest size, past the default heap of a
// machine with 8 GB.

import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { which } from './lib/processes.ts';
import { type DnsRow, dnsRows } from './lib/scale-dns.ts';
import { type RegistrationRow, registrationRows } from './lib/scale-registrations.ts';
import { type SubscriberRow, subscriberRows } from './lib/scale-subscribers.ts';
import { ms, printTable } from './lib/stats.ts';
import { chart, sheet } from './lib/svg.ts';

// The heap limit package.json gives is for this process only: every disco runs with Node's defaults,
// as in production, but for the registrations part's (bench/lib/scale-registrations.ts).
delete process.env.NODE_OPTIONS;

const PARTS = ['registrations', 'subscribers', 'dns'] as const;
type Part = (typeof PARTS)[number];

const argv = process.argv.slice(2);
const flagValue = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const quick = argv.includes('--quick');
const only = flagValue('--only');
if (only !== undefined && !PARTS.includes(only as Part)) throw new Error(`--only takes ${PARTS.join(', ')}; not "${only}"`);
const parts = only ? [only as Part] : [...PARTS];
const svgPath = join(flagValue('--svg') ?? tmpdir(), 'scs-bench-scale.svg');
const seconds = Number(process.env.BENCH_SECONDS ?? (quick ? 2 : 5));

const sizes = quick
  ? { disco: [1000, 10_000], ha: [1000, 10_000], etcd: [1000, 10_000], rounds: 30, widths: [1, 10, 100, 1000], names: [1000, 10_000] }
  : {
      disco: [10_000, 100_000, 1_000_000],
      ha: [10_000, 100_000],
      etcd: [10_000, 100_000],
      rounds: 100,
      widths: [1, 10, 100, 1000, 10_000],
      names: [1000, 10_000, 100_000],
    };

const count = (n: number) => n.toLocaleString('en-US');
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
const etcdHere = which('etcd');
const knotHere = which('knotd');

function registrationsTable(rows: RegistrationRow[]): void {
  printTable(
    `Registrations: fill the registry (one connection, 2,000 in flight; 10 endpoints a name, two 16-byte attributes), then ${sizes.rounds} provides and ${sizes.rounds} drops of a name with one subscriber`,
    [
      'path',
      'registrations',
      'seconds',
      'registrations/s',
      'CPU µs/registration',
      'RSS MiB',
      'RSS B/registration',
      'etcd RSS MiB',
      'change p50 ms',
      'change p99 ms',
      'CPU µs/change',
      'idle CPU ms/s',
      'etcd CPU µs/registration',
      'etcd CPU µs/change',
    ],
    rows.map((r) => [
      r.path,
      count(r.count),
      r.seconds.toFixed(1),
      Math.round(r.count / r.seconds),
      r.cpuUsPerRegistration.toFixed(1),
      mib(r.rss),
      Math.round(r.bytesPer),
      r.etcdRss === undefined ? '' : mib(r.etcdRss),
      ms(r.change.p50),
      ms(r.change.p99),
      r.cpuUsPerChange.toFixed(0),
      r.idleMsPerSecond.toFixed(1),
      r.etcdCpuUsPerRegistration === undefined ? '' : r.etcdCpuUsPerRegistration.toFixed(1),
      r.etcdCpuUsPerChange === undefined ? '' : r.etcdCpuUsPerChange.toFixed(0),
    ]),
  );
  console.log("RSS and CPU: disco's, or etcd's on the etcd rows (all threads); the etcd columns: the etcd under an HA disco; idle: both");
  for (const path of ['disco', 'HA', 'etcd'] as const) {
    const of = rows.filter((r) => r.path === path);
    const [small, large] = [of[0], of[of.length - 1]];
    if (!small || !large || small === large) continue;
    const grew = large.change.p50 / small.change.p50;
    const cpuOf = (r: RegistrationRow) => r.cpuUsPerChange + (r.etcdCpuUsPerChange ?? 0);
    const cpu = cpuOf(large) / cpuOf(small);
    console.log(
      `${path}: a change at ${count(large.count)} costs ${grew.toFixed(2)}x the p50 and ${cpu.toFixed(2)}x the CPU of one at ${count(small.count)}` +
        (path === 'etcd' ? '' : `; target <= 2x (a change works on its one name): ${verdict(grew <= 2 && cpu <= 2)}`),
    );
  }
  for (const r of rows.filter((row) => row.path !== 'etcd')) {
    console.log(
      `${r.path} at ${count(r.count)}: RSS per registration ${Math.round(r.bytesPer)} B; target < 1024 B: ${verdict(r.bytesPer < 1024)}`,
    );
  }
}

function subscribersTable(rows: SubscriberRow[]): void {
  printTable(
    'Subscribers: a provider drops, until all W subscribers of the name have the drop (ms); disco 100 subscriptions a connection, etcd one watch each',
    ['W', 'rounds', 'disco p50', 'disco p99', 'etcd p50', 'etcd p99', 'etcd/disco p50 / p99'],
    rows.map((r) => [
      count(r.width),
      r.rounds,
      ms(r.disco.p50),
      ms(r.disco.p99),
      r.etcd ? ms(r.etcd.p50) : '-',
      r.etcd ? ms(r.etcd.p99) : '-',
      r.etcd ? `${(r.etcd.p50 / r.disco.p50).toFixed(1)}x / ${(r.etcd.p99 / r.disco.p99).toFixed(1)}x` : '-',
    ]),
  );
  const widest = rows[rows.length - 1];
  if (widest?.width === 10_000) {
    const faster = widest.etcd === undefined || widest.disco.p99 < widest.etcd.p99;
    console.log(`target at W = 10,000: disco p99 < 50 ms and faster than etcd: ${verdict(widest.disco.p99 < 50 && faster)}`);
  }
}

function dnsTable(rows: DnsRow[]): void {
  const share = (ours: number, theirs: number | undefined) => (theirs === undefined ? '-' : `${((ours / theirs) * 100).toFixed(0)}%`);
  printTable(
    `DNS: dnsperf -c 4 -q 200 for ${seconds} s after a warm-up run (SRV, A and TXT of every name), server on core 0, dnsperf on core 1`,
    [
      'names',
      'disco q/s',
      'disco CPU µs/query',
      'disco RSS MiB',
      'Knot q/s',
      'Knot CPU µs/query',
      'Knot RSS MiB',
      'of Knot (q/s)',
      'of Knot (CPU)',
      'lost',
    ],
    rows.map((r) => [
      count(r.names),
      Math.round(r.disco.qps),
      r.disco.cpuUs.toFixed(2),
      mib(r.disco.rss),
      r.knot ? Math.round(r.knot.qps) : '-',
      r.knot ? r.knot.cpuUs.toFixed(2) : '-',
      r.knot ? mib(r.knot.rss) : '-',
      share(r.disco.qps, r.knot?.qps),
      r.knot ? share(r.knot.cpuUs, r.disco.cpuUs) : '-',
      r.knot ? `${r.disco.lost} / ${r.knot.lost}` : r.disco.lost,
    ]),
  );
  for (const r of rows.filter((row) => row.knot)) {
    const of = r.knot!.cpuUs / r.disco.cpuUs;
    console.log(
      `DNS at ${count(r.names)} names: ${(of * 100).toFixed(0)}% of Knot's queries per CPU-second; target >= 50%: ${verdict(of >= 0.5)}`,
    );
  }
}

async function main() {
  for (const tool of parts.includes('dns') ? ['dnsperf', 'taskset', 'dig'] : []) {
    if (!which(tool)) throw new Error(`${tool} is not installed (apt-get install dnsperf util-linux bind9-dnsutils)`);
  }
  if (!etcdHere) console.log('etcd is not installed (apt-get install etcd-server): no HA rows, no etcd peer');
  if (!knotHere && parts.includes('dns')) console.log('knotd is not installed (apt-get install knot): no Knot peer');
  console.log(
    `scale benchmark${quick ? ' (--quick)' : ''}: ${parts.join(', ')}; ` +
      (quick
        ? 'registrations about 1 min, subscribers about 1 min, dns about 0.5 min'
        : 'registrations about 4 min, subscribers about 3.5 min, dns about 2.5 min: 10 min in all on 2 cores'),
  );
  const charts: string[] = [];
  const timed = async <T>(part: Part, run: () => Promise<T>) => {
    const started = performance.now();
    const result = await run();
    console.log(`(${part}: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
    return result;
  };
  const progress = (text: string) => process.stderr.write(`  ${text}\n`);

  if (parts.includes('registrations')) {
    const rows = await timed('registrations', () =>
      registrationRows({ disco: sizes.disco, ha: etcdHere ? sizes.ha : [], etcd: etcdHere ? sizes.etcd : [], rounds: sizes.rounds }, (r) =>
        progress(`${r.path} ${count(r.count)}: ${Math.round(r.count / r.seconds)}/s, change p50 ${ms(r.change.p50)} ms`),
      ),
    );
    registrationsTable(rows);
    const series = (pick: (r: RegistrationRow) => number) =>
      (['disco', 'HA', 'etcd'] as const).map((path) => ({
        name: path,
        points: rows.filter((r) => r.path === path).map((r): [number, number] => [r.count, pick(r)]),
      }));
    charts.push(
      chart(
        'Registrations/s',
        'registrations',
        'per second',
        series((r) => r.count / r.seconds),
      ),
      chart(
        'One change, p50',
        'registrations',
        'ms',
        series((r) => r.change.p50),
      ),
      chart(
        'Server CPU per change (HA: disco and etcd)',
        'registrations',
        'µs',
        series((r) => r.cpuUsPerChange + (r.etcdCpuUsPerChange ?? 0)),
      ),
      chart(
        'RSS per registration',
        'registrations',
        'bytes',
        series((r) => r.bytesPer),
      ),
    );
  }
  if (parts.includes('subscribers')) {
    const rows = await timed('subscribers', () =>
      subscriberRows(sizes.widths, quick, etcdHere, (r) => progress(`W ${count(r.width)}: disco p99 ${ms(r.disco.p99)} ms`)),
    );
    subscribersTable(rows);
    charts.push(
      chart('Fan-out p99', 'subscribers (W)', 'ms', [
        { name: 'disco', points: rows.map((r) => [r.width, r.disco.p99]) },
        { name: 'etcd', points: rows.filter((r) => r.etcd).map((r) => [r.width, r.etcd!.p99]) },
      ]),
    );
  }
  if (parts.includes('dns')) {
    const rows = await timed('dns', () =>
      dnsRows(sizes.names, seconds, knotHere, (r) => progress(`${count(r.names)} names: disco ${r.disco.cpuUs.toFixed(2)} µs/query`)),
    );
    dnsTable(rows);
    charts.push(
      chart('DNS CPU per query', 'names', 'µs', [
        { name: 'disco', points: rows.map((r) => [r.names, r.disco.cpuUs]) },
        { name: 'Knot', points: rows.filter((r) => r.knot).map((r) => [r.names, r.knot!.cpuUs]) },
      ]),
    );
  }
  mkdirSync(dirname(svgPath), { recursive: true }); // --svg DIR may name a folder not made yet
  writeFileSync(svgPath, sheet(charts));
  console.log(`\nplot: ${svgPath}`);
}

await main();
