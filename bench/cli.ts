// npm run bench:cli — how long `scs` takes to start and answer, next to a bare `node -e 0` and
// `docker ps`: `scs --help`; `scs ls` against a disco this bench starts on loopback (with one
// registration); and `scs ps` in a folder with no stack file, which measures start-up, the stack-file
// lookup and the error path (it prints one sentence and exits 1, without touching Docker).
// Each command runs BENCH_ROUNDS times (default 20) after two warm-up runs, the commands taking
// turns round by round; the table shows the median wall time, the fastest and the slowest, and (with
// GNU time) the median CPU time and peak memory, which a busy machine disturbs much less. The bundle
// (bin/scs.js, what `npm ci` and a global install run) is measured next to the sources run through
// tsx (bin/scs-dev.js), as bin/scs.js ran them before there was a bundle (which then also loaded
// every command's module, not only the one named).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, which } from './lib/processes.ts';
import { ms, printTable } from './lib/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'bin/scs.js');
const sources = join(root, 'bin/scs-dev.js');
const built = existsSync(join(root, 'dist/scs.js'));

interface Case {
  readonly label: string;
  readonly command: string;
  readonly args: string[];
  /** The exit status a correct run ends with: a crash must not pass for a fast answer. */
  readonly status: number;
  readonly cwd?: string;
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

function runOnce(item: Case): Promise<Outcome> {
  const [command, args] = gnuTime ? [gnuTime, ['-f', '%U %S %M', '-o', usageFile, item.command, ...item.args]] : [item.command, item.args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: item.cwd ?? root, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function main() {
  const emptyDir = mkdtempSync(join(tmpdir(), 'scs-bench-cli-'));
  const disco = await startProcess(
    process.execPath,
    [built ? bundle : sources, 'disco', '--listen', '127.0.0.1:0', '--dns', 'off'],
    /listening on tcp 127\.0\.0\.1:(\d+)/,
  );
  const address = `127.0.0.1:${disco.match[1]}`;
  const provider = await startProcess(
    process.execPath,
    [built ? bundle : sources, 'provide', 'mysql.db.blog.prod', '10.0.0.5:3306', '--disco', address, '--attr', 'az=us-east-1a'],
    /providing mysql/,
  );
  try {
    const cases: Case[] = [{ label: 'node -e 0', command: process.execPath, args: ['-e', '0'], status: 0 }];
    if (which('docker')) cases.push({ label: 'docker ps', command: 'docker', args: ['ps'], status: 0 });
    const entries = built
      ? [
          ['bundle', bundle],
          ['sources (tsx)', sources],
        ]
      : [['sources (tsx)', sources]];
    for (const [kind, entry] of entries) {
      cases.push(
        { label: `scs --help, ${kind}`, command: process.execPath, args: [entry!, '--help'], status: 0 },
        { label: `scs ls, ${kind}`, command: process.execPath, args: [entry!, 'ls', '--disco', address], status: 0 },
        { label: `scs ps (no stack), ${kind}`, command: process.execPath, args: [entry!, 'ps'], status: 1, cwd: emptyDir },
      );
    }
    if (!built) console.log('dist/ is not built (npm run build): only the sources are measured');
    console.log(`cli benchmark: start-up to exit, ${ROUNDS} runs of each after 2 warm-up runs, in turns, on ${process.version}`);
    const rows = (await measure(cases)).map(({ wall, cpu, rss }, index) => [
      cases[index]!.label,
      ms(median(wall)),
      ms(wall[0]!),
      ms(wall[wall.length - 1]!),
      Number.isNaN(median(cpu)) ? '-' : median(cpu).toFixed(0),
      Number.isNaN(median(rss)) ? '-' : median(rss).toFixed(0),
    ]);
    printTable('start-up to exit', ['command', 'median ms', 'min ms', 'max ms', 'cpu ms (median)', 'peak RSS MB (median)'], rows);
    if (!gnuTime) console.log('(cpu and memory need GNU time: apt-get install time)');
  } finally {
    provider.child.kill('SIGINT');
    disco.child.kill('SIGINT');
    rmSync(emptyDir, { recursive: true, force: true });
    rmSync(usageFile, { force: true });
  }
}

await main();
