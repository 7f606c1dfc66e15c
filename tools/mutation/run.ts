// `npm run mutation`: StrykerJS over the folders of tools/mutation/folders.json, then one table of
// the mutation score per folder. A report, not part of CI (docs/testing.md).
//   MUTATE=names,dns npm run mutation   some folders (without MUTATE: every folder, for hours)
//   npm run mutation -- --force         every mutant again, not only those whose code or tests changed
// Folders whose options agree go in one Stryker run (folders.ts); each run reads and writes the
// incremental file, .cache/mutation/incremental.json, so it retries only what changed and keeps the
// results of the files it does not mutate. Everything after `--` goes to Stryker.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import FOLDERS from './folders.json' with { type: 'json' };
import { type Folder, runsOf } from './folders.ts';
import { formatTable, type Report, readReport, TABLE_HEADER, tableRows, trimReasons } from './report.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const stryker = join(root, 'node_modules/.bin/stryker');
const CONFIG = 'tools/mutation/stryker.config.mjs';
/** stryker.config.mjs names the same files. */
const INCREMENTAL_FILE = join(root, '.cache/mutation/incremental.json');
const reportOf = (names: readonly string[]) => join(root, 'reports/mutation', `${names.join('-')}.json`);
const folders: Record<string, Folder> = FOLDERS;

function run(names: readonly string[], args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(stryker, ['run', CONFIG, ...args], {
      cwd: root,
      env: { ...process.env, MUTATE: names.join(',') },
      stdio: 'inherit',
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const known = Object.keys(folders);
const chosen = (process.env.MUTATE ?? known.join(',')).split(',').filter(Boolean);
const unknown = chosen.find((name) => !known.includes(name));
if (unknown !== undefined) {
  console.error(`MUTATE: unknown folder "${unknown}" (known: ${known.join(', ')})`);
  process.exit(2);
}

const started = performance.now();
const measured: Array<[string, Folder, Report]> = [];
const times: string[][] = [];
let failed = false;
for (const names of runsOf(folders, chosen)) {
  const start = performance.now();
  const code = await run(names, process.argv.slice(2));
  const time = `${((performance.now() - start) / 1000).toFixed(0)} s`;
  if (code !== 0 || !existsSync(reportOf(names))) {
    console.error(`stryker failed on ${names.join(', ')} (exit ${code}); the table leaves them out`);
    times.push([names.join(', '), `failed after ${time}`]);
    failed = true;
    continue;
  }
  times.push([names.join(', '), time]);
  if (existsSync(INCREMENTAL_FILE)) trimReasons(INCREMENTAL_FILE);
  const report = readReport(reportOf(names));
  for (const name of names) measured.push([name, folders[name] as Folder, report]);
}

console.log('\nMutation score per folder (reports/mutation/FOLDERS.html shows each mutant of a run)');
console.log(formatTable(TABLE_HEADER, tableRows(measured)));
console.log('\nStryker runs');
console.log(formatTable(['folders', 'time'], times));
console.log(`\nnpm run mutation: ${((performance.now() - started) / 1000).toFixed(0)} s in all`);
if (failed) process.exitCode = 1;
