// npm run bench:cli — how long `scs` takes to start and answer, next to a bare `node -e 0` and
// `docker ps`, on the commands a user types while a stack runs: `scs ps` and `scs logs --tail 1` in
// the folder of a running stack (a copy of examples/hello, brought up with `scs up -d` by this bench
// and taken down after), `scs ls` against a disco this bench starts on loopback (with one
// registration), `scs --help` and `scs --version`. The target: every local command answers within
// 150 ms; a command over it is shown as a miss.
// Each command runs BENCH_ROUNDS times (default 20) after two warm-up runs, the commands taking
// turns round by round; the table shows the median wall time, the fastest and the slowest, and (with
// GNU time) the median CPU time and peak memory, which a busy machine disturbs much less. It runs
// the bundle (bin/scs.js: `npm run build` first), or the `scs` entry named by BENCH_SCS (another
// build). BENCH_BASELINE names another build's `scs` entry (bin/scs.js of an older checkout, built)
// to run in the same turns, each command once more as "(baseline)": on a busy machine, the one fair
// comparison. Its code caches (cli/start.ts) are kept in a folder of the bench's own, which
// the warm-up runs fill, as a user's first runs do; one more row runs `scs ps` without any, as the
// first run after an install or upgrade does. It uses Docker: run it alone.
// Where NODE_EXTRA_CA_CERTS is set, Node reads and parses every certificate it names before any line
// of scs runs (nodejs/node#40524): the bench then runs `node -e 0` and every scs row once more without
// it, so that one run shows what the user's environment costs and what scs itself costs. The
// variable is the user's (their CA for disco, AWS or Docker over TLS): scs leaves it as it is.

import './lib/state-folder.ts';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, which } from './lib/processes.ts';
import { ms, printTable } from './lib/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
/** Milliseconds a local command may take, start to exit (median wall time). */
const TARGET_MS = 150;
const root = fileURLToPath(new URL('..', import.meta.url));
const scs = resolve(process.env.BENCH_SCS ?? join(root, 'bin/scs.js'));
const baseline = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : undefined;

interface Case {
  readonly label: string;
  readonly command: string;
  readonly args: string[];
  /** The exit status a correct run ends with: a crash must not pass for a fast answer. */
  readonly status: number;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Variables of this environment the run goes without. */
  readonly unset?: readonly string[];
  /** Held to TARGET_MS: scs's own commands, not the references next to them. */
  readonly target: boolean;
}

interface Outcome {
  readonly status: number | null;
  readonly output: string;
  readonly ms: number;
  /** User plus system CPU time, and peak resident memory, from GNU time when it is installed. */
  readonly cpuMs?: number;
  readonly rssMb?: number;
}

// Wall time moves with whatever else the machine runs; CPU time much less, so the table shows both.
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const usageFile = join(tmpdir(), `scs-bench-cli-${process.pid}.usage`);
/** The code caches of the runs measured, made by their warm-up runs. */
const codeCache = join(tmpdir(), `scs-bench-cli-${process.pid}-code-cache`);

function runOnce(item: Case): Promise<Outcome> {
  const [command, args] = gnuTime ? [gnuTime, ['-f', '%U %S %M', '-o', usageFile, item.command, ...item.args]] : [item.command, item.args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const env: NodeJS.ProcessEnv = { ...process.env, SCS_CODE_CACHE: codeCache, ...item.env };
    for (const name of item.unset ?? []) delete env[name];
    const child = spawn(command, args, { cwd: item.cwd ?? root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      const ms = performance.now() - started;
      if (!gnuTime) return resolve({ status, output, ms });
      // GNU time reports a non-zero exit on the file's first line; the figures are on the last.
      const [user, system, rssKb] = readFileSync(usageFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      resolve({ status, output, ms, cpuMs: (user! + system!) * 1000, rssMb: rssKb! / 1024 });
    });
  });
}

interface Samples {
  readonly wall: number[];
  readonly cpu: number[];
  readonly rss: number[];
}

/** Runs every case once a round, so that a change in the machine's load falls on all of them alike. */
async function measure(cases: readonly Case[]): Promise<Samples[]> {
  const samples: Samples[] = cases.map(() => ({ wall: [], cpu: [], rss: [] }));
  for (let round = -2; round < ROUNDS; round++) {
    for (const [index, item] of cases.entries()) {
      const outcome = await runOnce(item);
      if (outcome.status !== item.status) {
        throw new Error(`${item.label} exited with ${outcome.status}, not ${item.status}:\n${outcome.output}`);
      }
      if (round < 0) continue;
      samples[index]!.wall.push(outcome.ms);
      if (outcome.cpuMs !== undefined) samples[index]!.cpu.push(outcome.cpuMs);
      if (outcome.rssMb !== undefined) samples[index]!.rss.push(outcome.rssMb);
    }
  }
  for (const { wall, cpu, rss } of samples) for (const list of [wall, cpu, rss]) list.sort((a, b) => a - b);
  return samples;
}

function median(sorted: number[]): number {
  if (sorted.length === 0) return NaN;
  const middle = sorted.length / 2;
  return Number.isInteger(middle) ? (sorted[middle - 1]! + sorted[middle]!) / 2 : sorted[Math.floor(middle)]!;
}

const EXTRA_CA = 'NODE_EXTRA_CA_CERTS';

/** What Node's start spends on NODE_EXTRA_CA_CERTS: the `node -e 0` rows with and without it. */
function extraCaCost(cases: readonly Case[], samples: readonly Samples[]): string {
  const row = (label: string) => samples[cases.findIndex((item) => item.label === label)]!;
  const [withIt, without] = [row('node -e 0'), row(`node -e 0, ${EXTRA_CA} unset`)];
  let certificates = '';
  try {
    certificates = ` (${readFileSync(process.env[EXTRA_CA]!, 'utf8').split('BEGIN CERTIFICATE').length - 1} certificates)`;
  } catch {
    // A file Node cannot read either: it warns, and the difference says what that costs.
  }
  const cpu = Number.isNaN(median(withIt.cpu)) ? '' : `, ${(median(withIt.cpu) - median(without.cpu)).toFixed(0)} ms of CPU`;
  return `${EXTRA_CA}=${process.env[EXTRA_CA]}${certificates}: Node spends ${(median(withIt.wall) - median(without.wall)).toFixed(0)} ms (median wall time${cpu}) reading it before any command runs (node -e 0: ${ms(median(withIt.wall))} ms with it, ${ms(median(without.wall))} ms without)`;
}

/** Runs `scs` to the end, and fails with what it printed when it fails. */
function scsOrFail(args: string[], cwd: string): void {
  const result = spawnSync(process.execPath, [scs, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`scs ${args.join(' ')} exited with ${result.status}:\n${result.stdout}${result.stderr}`);
}

async function main() {
  if (!existsSync(scs) || (scs === join(root, 'bin/scs.js') && !existsSync(join(root, 'dist/scs.cjs')))) {
    throw new Error('dist/ is not built: npm run build');
  }
  const stackDir = mkdtempSync(join(tmpdir(), 'scs-bench-cli-'));
  cpSync(join(root, 'examples/hello'), stackDir, { recursive: true, filter: (source) => !source.includes('/.scs') });
  const disco = await startProcess(
    process.execPath,
    [scs, 'disco', '--listen', '127.0.0.1:0', '--dns', 'off'],
    /listening on tcp 127\.0\.0\.1:(\d+)/,
  );
  const address = `127.0.0.1:${disco.match[1]}`;
  const provider = await startProcess(
    process.execPath,
    [scs, 'provide', 'mysql.db.blog.prod', '10.0.0.5:3306', '--disco', address, '--attr', 'az=us-east-1a'],
    /providing mysql/,
  );
  try {
    console.log(`bringing up a copy of examples/hello in ${stackDir}`);
    scsOrFail(['up', '-d'], stackDir);
    const cases: Case[] = [{ label: 'node -e 0', command: process.execPath, args: ['-e', '0'], status: 0, target: false }];
    if (which('docker')) cases.push({ label: 'docker ps', command: 'docker', args: ['ps'], status: 0, target: false });
    const run = (label: string, args: string[], cwd?: string, extra: Partial<Case> = {}): Case => ({
      label,
      command: process.execPath,
      args: [scs, ...args],
      status: 0,
      target: true,
      ...(cwd ? { cwd } : {}),
      ...extra,
    });
    cases.push(
      run('scs --help', ['--help']),
      run('scs --version', ['--version']),
      run('scs ls', ['ls', '--disco', address]),
      run('scs ps (running stack)', ['ps'], stackDir),
      run('scs logs --tail 1 (running stack)', ['logs', '--tail', '1'], stackDir),
      // A reference: what a first run after an install or an upgrade takes, before it leaves its cache.
      run('scs ps, no code cache', ['ps'], stackDir, { env: { SCS_CODE_CACHE: 'off' }, target: false }),
    );
    // The same runs without the user's extra CA certificates: what Node's start costs with them is theirs, not scs's.
    const extraCa = process.env.NODE_EXTRA_CA_CERTS ? EXTRA_CA : undefined;
    if (extraCa) {
      const without = (item: Case): Case => ({ ...item, label: `${item.label}, ${extraCa} unset`, unset: [extraCa] });
      cases.push(without(cases[0]!), ...cases.filter((item) => item.args[0] === scs).map(without));
    }
    if (baseline) {
      for (const item of cases.filter((each) => each.target)) {
        cases.push({ ...item, label: `${item.label} (baseline)`, args: [baseline, ...item.args.slice(1)], target: false });
      }
    }
    console.log(
      `cli benchmark: ${scs}${baseline ? ` against ${baseline}` : ''}, start-up to exit, ${ROUNDS} runs of each after 2 warm-up runs, in turns, on ${process.version}; target ≤ ${TARGET_MS} ms for each scs command`,
    );
    const samples = await measure(cases);
    const rows = samples.map(({ wall, cpu, rss }, index) => {
      const item = cases[index]!;
      const wallMs = median(wall);
      return [
        item.label,
        ms(wallMs),
        ms(wall[0]!),
        ms(wall[wall.length - 1]!),
        Number.isNaN(median(cpu)) ? '-' : median(cpu).toFixed(0),
        Number.isNaN(median(rss)) ? '-' : median(rss).toFixed(0),
        item.target ? (wallMs <= TARGET_MS ? 'met' : `MISS (+${(wallMs - TARGET_MS).toFixed(0)} ms)`) : '-',
      ];
    });
    printTable(
      'start-up to exit',
      ['command', 'median ms', 'min ms', 'max ms', 'cpu ms (median)', 'peak RSS MB (median)', `≤ ${TARGET_MS} ms`],
      rows,
    );
    const misses = cases.filter((item, index) => item.target && median(samples[index]!.wall) > TARGET_MS);
    console.log(misses.length === 0 ? `every scs command met the target` : `${misses.length} scs command(s) missed the target`);
    if (extraCa) console.log(extraCaCost(cases, samples));
    if (!gnuTime) console.log('(cpu and memory need GNU time: apt-get install time)');
  } finally {
    try {
      scsOrFail(['down', '--volumes'], stackDir);
    } finally {
      provider.child.kill('SIGINT');
      disco.child.kill('SIGINT');
      rmSync(stackDir, { recursive: true, force: true });
      rmSync(usageFile, { force: true });
      rmSync(codeCache, { recursive: true, force: true });
    }
  }
}

await main();
