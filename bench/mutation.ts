// `npm run mutation`: StrykerJS over the folders of stryker.folders.json, then one table of the
// mutation score per folder. A report, like a benchmark; not part of CI.
//   npm run mutation                    every folder, incrementally: only mutants whose code or
//                                       tests changed since their last run are tried again
//   npm run mutation -- --force         every mutant again (after adding tests, for a true figure)
//   MUTATE=dns,names npm run mutation   some folders
// A folder none of whose inputs changed since its last run (bench/lib/mutation-inputs.ts) is not
// run at all: its results stand. The others go in as few Stryker runs as their options allow
// (bench/lib/mutation-folders.ts), each of which begins with a test run of every related test.
// Every run reads and writes one incremental file: Stryker keeps the results of files a run does
// not mutate, so a run of one folder never throws away another's.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import FOLDERS from '../stryker.folders.json' with { type: 'json' };
import { type Folder, mutates, runsOf } from './lib/mutation-folders.ts';
import { readIncremental, recordInputs, whyRunAgain } from './lib/mutation-inputs.ts';
import { type Counts, countsOf, readReport, score, trimReasons } from './lib/mutation-report.ts';
import { printTable } from './lib/stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const stryker = join(root, 'node_modules/.bin/stryker');
/** Shared by every run; stryker.config.mjs names it too. */
const INCREMENTAL_FILE = 'reports/mutation/incremental.json';
const folders: Record<string, Folder> = FOLDERS;

function run(chosen: readonly string[], args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, MUTATE: chosen.join(',') };
    const child = spawn(stryker, ['run', ...args], { cwd: root, env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const known = Object.keys(folders);
const chosen = (process.env.MUTATE ?? known.join(',')).split(',').filter(Boolean);
const unknown = chosen.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  console.error(`MUTATE: unknown folder "${unknown[0]}" (known: ${known.join(', ')})`);
  process.exit(2);
}
const folderOf = (name: string) => folders[name] as Folder;

const started = performance.now();
const strykerArgs = process.argv.slice(2);
const why = new Map<string, string>();
const before = readIncremental(root, INCREMENTAL_FILE);
for (const name of chosen) {
  // Arguments (--force, above all) are for Stryker, and ask for a run whatever changed.
  const reason = strykerArgs.length > 0 ? `asked: ${strykerArgs.join(' ')}` : whyRunAgain(root, name, folderOf(name), before);
  if (reason === undefined) console.log(`${name}: nothing its last results depended on has changed; they stand`);
  else why.set(name, reason);
}

const runs: Array<Array<string | number>> = [];
const failed = new Set<string>();
for (const names of runsOf(folders, [...why.keys()])) {
  for (const name of names) console.log(`${name}: running Stryker (${why.get(name)})`);
  const start = performance.now();
  const code = await run(names, strykerArgs);
  const seconds = ((performance.now() - start) / 1000).toFixed(0);
  runs.push([names.join(', '), code === 0 ? `${seconds} s` : `failed (exit ${code})`]);
  if (code !== 0 || !existsSync(join(root, INCREMENTAL_FILE))) {
    console.error(`stryker failed on ${names.join(', ')} (exit ${code}); the table leaves them out`);
    for (const name of names) failed.add(name);
    continue;
  }
  trimReasons(join(root, INCREMENTAL_FILE));
  const report = readReport(join(root, INCREMENTAL_FILE));
  for (const name of names) recordInputs(root, name, folderOf(name), report);
}

const rows: Array<Array<string | number>> = [];
const total = { mutants: 0, killed: 0, timedOut: 0, survived: 0, noCoverage: 0 };
const after = readIncremental(root, INCREMENTAL_FILE).report;
for (const name of chosen) {
  if (failed.has(name) || after === undefined) continue;
  const counts = countsOf(after, (file) => mutates(folderOf(name).mutate, file));
  for (const key of Object.keys(total) as (keyof Counts)[]) total[key] += counts[key];
  const status = why.has(name) ? 'run again' : 'unchanged';
  rows.push([
    name,
    counts.mutants,
    `${score(counts).toFixed(2)}%`,
    counts.killed,
    counts.timedOut,
    counts.survived,
    counts.noCoverage,
    status,
  ]);
}
rows.push(['all', total.mutants, `${score(total).toFixed(2)}%`, total.killed, total.timedOut, total.survived, total.noCoverage, '']);
printTable(
  'Mutation score per folder (reports/mutation/FOLDERS.html has each mutant of a run)',
  ['folder', 'mutants', 'score', 'killed', 'timed out', 'survived', 'no coverage', 'this time'],
  rows,
);
if (runs.length > 0) printTable('Stryker runs', ['folders', 'time'], runs);
console.log(`\nnpm run mutation: ${((performance.now() - started) / 1000).toFixed(0)} s in all`);
