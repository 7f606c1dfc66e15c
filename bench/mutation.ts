// `npm run mutation`: StrykerJS over each folder in turn, each with its own incremental file, then
// one table of the mutation score per folder. A report, like a benchmark; not part of CI.
//   npm run mutation                    every folder, incrementally: only mutants whose code or
//                                       tests changed since that folder's last run are tried again
//   npm run mutation -- --force         every mutant again (after adding tests, for a true figure)
//   MUTATE=dns,names npm run mutation   some folders
// One Stryker run per folder, not one over all: each folder keeps its own incremental file, so a
// run of one folder never throws away another's results. A folder none of whose inputs changed
// since its last run (bench/lib/mutation-inputs.ts) is not run at all: its results stand.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import FOLDERS from '../stryker.folders.json' with { type: 'json' };
import { recordInputs, whyRunAgain } from './lib/mutation-inputs.ts';
import { type Counts, countsOf, score, trimReasons } from './lib/mutation-report.ts';
import { printTable } from './lib/stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const stryker = join(root, 'node_modules/.bin/stryker');

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
const strykerArgs = process.argv.slice(2);
const started = performance.now();
for (const folder of chosen) {
  const start = performance.now();
  const incrementalFile = `reports/mutation/${folder}.incremental.json`;
  // Arguments (--force, above all) are for Stryker, and ask for a run whatever changed.
  const why =
    strykerArgs.length > 0
      ? `asked: ${strykerArgs.join(' ')}`
      : existsSync(join(root, incrementalFile))
        ? whyRunAgain(root, folder)
        : 'no earlier run';
  if (why === undefined) {
    console.log(`${folder}: nothing its last run depended on has changed; its results stand`);
  } else {
    console.log(`${folder}: running Stryker (${why})`);
    const code = await run(folder, strykerArgs);
    if (code !== 0 || !existsSync(join(root, incrementalFile))) {
      console.error(`stryker failed on ${folder} (exit ${code}); the table leaves it out`);
      continue;
    }
    trimReasons(join(root, incrementalFile));
    recordInputs(root, folder, incrementalFile);
  }
  const seconds = (performance.now() - start) / 1000;
  const counts = countsOf(join(root, incrementalFile));
  for (const key of Object.keys(total) as (keyof Counts)[]) total[key] += counts[key];
  rows.push([
    folder,
    counts.mutants,
    `${score(counts).toFixed(2)}%`,
    counts.killed,
    counts.timedOut,
    counts.survived,
    counts.noCoverage,
    why === undefined ? 'unchanged' : `${seconds.toFixed(0)} s`,
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
