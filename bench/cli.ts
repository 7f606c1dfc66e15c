// npm run bench:cli — how long `scs` takes to start and answer, next to a bare `node -e 0` and
// `docker ps`: `scs --help`; `scs ls` against a disco this bench starts on loopback (with one
// registration); and `scs ps` in a folder with no stack file, which measures start-up, the stack-file
// lookup and the error path (it prints one sentence and exits 1, without touching Docker).
// Each command runs BENCH_ROUNDS times (default 20) after two warm-up runs, the commands taking
// turns round by round; the table shows the median, the fastest and the slowest. The bundle
// (bin/scs.js, what `npm ci` and a global install run) is measured next to the sources run through
// tsx (bin/scs-dev.js), which is how every command started before the bundle existed.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
}

function runOnce(item: Case): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(item.command, item.args, { cwd: item.cwd ?? root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output, ms: performance.now() - started }));
  });
}

/** Runs every case once a round, so that a change in the machine's load falls on all of them alike. */
async function measure(cases: readonly Case[]): Promise<number[][]> {
  const samples: number[][] = cases.map(() => []);
  for (let round = -2; round < ROUNDS; round++) {
    for (const [index, item] of cases.entries()) {
      const outcome = await runOnce(item);
      if (outcome.status !== item.status) {
        throw new Error(`${item.label} exited with ${outcome.status}, not ${item.status}:\n${outcome.output}`);
      }
      if (round >= 0) samples[index]!.push(outcome.ms);
    }
  }
  return samples.map((times) => times.sort((a, b) => a - b));
}

function median(sorted: number[]): number {
  const middle = sorted.length / 2;
  return Number.isInteger(middle) ? (sorted[middle - 1]! + sorted[middle]!) / 2 : sorted[Math.floor(middle)]!;
}

async function main() {
  const emptyDir = mkdtempSync(join(tmpdir(), 'scs-bench-cli-'));
  const disco = await startProcess(process.execPath, [built ? bundle : sources, 'disco', '--listen', '127.0.0.1:0', '--dns', 'off'], /listening on tcp 127\.0\.0\.1:(\d+)/);
  const address = `127.0.0.1:${disco.match[1]}`;
  const provider = await startProcess(process.execPath, [built ? bundle : sources, 'provide', 'mysql.db.blog.prod', '10.0.0.5:3306', '--disco', address, '--attr', 'az=us-east-1a'], /providing mysql/);
  try {
    const cases: Case[] = [{ label: 'node -e 0', command: process.execPath, args: ['-e', '0'], status: 0 }];
    if (which('docker')) cases.push({ label: 'docker ps', command: 'docker', args: ['ps'], status: 0 });
    const entries = built ? [['bundle', bundle], ['sources (tsx)', sources]] : [['sources (tsx)', sources]];
    for (const [kind, entry] of entries) {
      cases.push(
        { label: `scs --help, ${kind}`, command: process.execPath, args: [entry!, '--help'], status: 0 },
        { label: `scs ls, ${kind}`, command: process.execPath, args: [entry!, 'ls', '--disco', address], status: 0 },
        { label: `scs ps (no stack), ${kind}`, command: process.execPath, args: [entry!, 'ps'], status: 1, cwd: emptyDir },
      );
    }
    if (!built) console.log('dist/ is not built (npm run build): only the sources are measured');
    console.log(`cli benchmark: start-up to exit, ${ROUNDS} runs of each after 2 warm-up runs, in turns, on ${process.version}`);
    const rows = (await measure(cases)).map((samples, index) => [cases[index]!.label, ms(median(samples)), ms(samples[0]!), ms(samples[samples.length - 1]!)]);
    printTable('start-up (ms)', ['command', 'median', 'min', 'max'], rows);
  } finally {
    provider.child.kill('SIGINT');
    disco.child.kill('SIGINT');
    rmSync(emptyDir, { recursive: true, force: true });
  }
}

await main();
