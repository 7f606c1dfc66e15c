// `npm run mutation`: StrykerJS over each folder in turn, each with its own incremental file, then
// one table of the mutation score per folder. A report, like a benchmark; not part of CI.
//   npm run mutation                    every folder, incrementally: only mutants whose code or
//                                       tests changed since that folder's last run are tried again
//   npm run mutation -- --force         every mutant again (after adding tests, for a true figure)
//   MUTATE=dns,names npm run mutation   some folders
// One Stryker run per folder, not one over all: each folder keeps its own incremental file, so a
// run of one folder never throws away another's results.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import FOLDERS from '../stryker.folders.json' with { type: 'json' };
import { printTable } from './lib/stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const stryker = join(root, 'node_modules/.bin/stryker');

interface Counts {
  readonly mutants: number;
  readonly killed: number;
  readonly timedOut: number;
  readonly survived: number;
  readonly noCoverage: number;
}

/** The counts of a Stryker JSON report (mutation-testing-report-schema). */
function countsOf(reportFile: string): Counts {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { files: Record<string, { mutants: { status: string }[] }> };
  const statuses = Object.values(report.files).flatMap((file) => file.mutants.map((mutant) => mutant.status));
  const count = (status: string) => statuses.filter((each) => each === status).length;
  return {
    mutants: statuses.length,
    killed: count('Killed'),
    timedOut: count('Timeout'),
    survived: count('Survived'),
    noCoverage: count('NoCoverage'),
  };
}

/** How much of a mutant's status reason the committed incremental file keeps. */
const REASON_CHARS = 1000;

/**
 * Cuts each mutant's status reason in an incremental file to its first REASON_CHARS characters.
 * A reason is the failing assertion's message, and a test over 100,000 endpoints prints a diff of
 * tens of megabytes; Stryker reads the reason only to show it, and the file is committed.
 */
function trimReasons(incrementalFile: string): void {
  if (!existsSync(incrementalFile)) return;
  const report = JSON.parse(readFileSync(incrementalFile, 'utf8')) as { files: Record<string, { mutants: { statusReason?: string }[] }> };
  let trimmed = 0;
  for (const file of Object.values(report.files)) {
    for (const mutant of file.mutants) {
      if (mutant.statusReason !== undefined && mutant.statusReason.length > REASON_CHARS) {
        mutant.statusReason = `${mutant.statusReason.slice(0, REASON_CHARS)}…`;
        trimmed++;
      }
    }
  }
  if (trimmed > 0) writeFileSync(incrementalFile, JSON.stringify(report, null, 2));
}

/** Stryker's score: killed and timed out over those that count (compile errors and ignored do not). */
const score = (c: Counts) => (100 * (c.killed + c.timedOut)) / (c.killed + c.timedOut + c.survived + c.noCoverage);

function run(folder: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(stryker, ['run', ...args], { cwd: root, env: { ...process.env, MUTATE: folder }, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const known = Object.keys(FOLDERS);
const chosen = (process.env.MUTATE ?? known.join(',')).split(',').filter(Boolean);
const unknown = chosen.filter((folder) => !known.includes(folder));
if (unknown.length > 0) {
  console.error(`MUTATE: unknown folder "${unknown[0]}" (known: ${known.join(', ')})`);
  process.exit(2);
}

const rows: Array<Array<string | number>> = [];
const total = { mutants: 0, killed: 0, timedOut: 0, survived: 0, noCoverage: 0 };
const started = performance.now();
for (const folder of chosen) {
  const start = performance.now();
  const code = await run(folder, process.argv.slice(2));
  const seconds = (performance.now() - start) / 1000;
  const reportFile = join(root, 'reports/mutation', `${folder}.json`);
  if (code !== 0 || !existsSync(reportFile)) {
    console.error(`stryker failed on ${folder} (exit ${code}); the table leaves it out`);
    continue;
  }
  trimReasons(join(root, 'reports/mutation', `${folder}.incremental.json`));
  const counts = countsOf(reportFile);
  for (const key of Object.keys(total) as (keyof Counts)[]) total[key] += counts[key];
  rows.push([
    folder,
    counts.mutants,
    `${score(counts).toFixed(2)}%`,
    counts.killed,
    counts.timedOut,
    counts.survived,
    counts.noCoverage,
    `${seconds.toFixed(0)} s`,
  ]);
}
rows.push([
  'all',
  total.mutants,
  `${score(total).toFixed(2)}%`,
  total.killed,
  total.timedOut,
  total.survived,
  total.noCoverage,
  `${((performance.now() - started) / 1000).toFixed(0)} s`,
]);
printTable(
  'Mutation score per folder (reports/mutation/FOLDER.html has each mutant)',
  ['folder', 'mutants', 'score', 'killed', 'timed out', 'survived', 'no coverage', 'run time'],
  rows,
);
