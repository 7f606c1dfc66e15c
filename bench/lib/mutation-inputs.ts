// What a folder's last mutation results depended on, kept as reports/mutation/FOLDER.inputs.json,
// so that `npm run mutation` can leave out a folder none of whose inputs changed. Stryker's
// incremental mode reuses such a folder's every result too, but only after a first test run over
// every related test, minutes per run; this check takes a second.
//
// A folder's inputs: the files it mutates; the tests that reach its mutants, and every project
// module those import (helpers, the rest of src/); the mutation configuration and the lockfile;
// and its results in the incremental file, so the record describes the results it sits beside.
// Any of those changed, and the folder runs. A test file added or changed elsewhere runs it too
// when the test imports, directly or not, a file the folder mutates: that is how Stryker relates
// tests.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importClosure } from './import-graph.ts';
import { type Folder, filesOf, mutates } from './mutation-folders.ts';
import { type Mutant, type Report, readReport } from './mutation-report.ts';

/** The configuration every folder's run reads. */
const CONFIG_FILES = ['stryker.config.mjs', 'stryker.folders.json', 'stryker.vitest.config.ts', 'vitest.config.ts', 'package-lock.json'];

export interface MutationInputs {
  /** The files the folder mutates. */
  readonly mutated: readonly string[];
  /** Content hash of the folder's results: each mutant, where it is, what it does, and its status. */
  readonly results: string;
  /** Content hash of each file the results depend on, by path from the project root. */
  readonly depends: Readonly<Record<string, string>>;
  /** Content hash of every test file in the project, related or not. */
  readonly tests: Readonly<Record<string, string>>;
}

/** The incremental file all runs share, read once for every folder: undefined when there is none. */
export interface Incremental {
  readonly file: string;
  readonly report: Report | undefined;
}

export function readIncremental(root: string, file: string): Incremental {
  return { file, report: existsSync(join(root, file)) ? readReport(join(root, file)) : undefined };
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** A file's content hash, or 'missing': a file that is gone differs from one that is there. */
function hashOf(root: string, path: string): string {
  const file = join(root, path);
  return existsSync(file) ? sha256(readFileSync(file)) : 'missing';
}

function testFiles(root: string): string[] {
  return readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => join('test', name))
    .sort();
}

function hashes(root: string, paths: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of [...paths].sort()) out[path] = hashOf(root, path);
  return out;
}

/** The folder's mutants in the report, each with its file. */
function mutantsOf(report: Report, folder: Folder): Array<[string, Mutant]> {
  return Object.entries(report.files)
    .filter(([file]) => mutates(folder.mutate, file))
    .flatMap(([file, { mutants }]) => mutants.map((mutant): [string, Mutant] => [file, mutant]));
}

/**
 * The folder's mutants, in a form that changes only when a result does: another folder's run
 * rewrites the shared incremental file, renumbering this folder's tests and mutants but keeping
 * their results.
 */
function resultsHash(report: Report, folder: Folder): string {
  const results = mutantsOf(report, folder).map(
    ([file, m]) => `${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${m.replacement ?? ''} ${m.status}`,
  );
  return sha256(results.sort().join('\n'));
}

/**
 * The test files that reach the folder's mutants. A static mutant (code run as a module loads) is
 * tried against every test of its run, so a folder that tries them (not `ignoreStatic`) depends on
 * every test in the file. The report's own `static` mark cannot tell: Stryker drops it from the
 * results it reuses.
 */
function relatedTests(report: Report, folder: Folder): Set<string> {
  const fileOfTest = new Map<string, string>();
  for (const [file, { tests }] of Object.entries(report.testFiles ?? {})) for (const test of tests) fileOfTest.set(test.id, file);
  if (folder.ignoreStatic !== true) return new Set(fileOfTest.values());
  const ids = mutantsOf(report, folder).flatMap(([, mutant]) => [...(mutant.coveredBy ?? []), ...(mutant.killedBy ?? [])]);
  return new Set(ids.map((id) => fileOfTest.get(id)).filter((file) => file !== undefined));
}

/** The inputs of the folder's results in `report`, as the files are now. */
export function currentInputs(root: string, folder: Folder, report: Report): MutationInputs {
  const mutated = filesOf(root, folder);
  const depends = new Set([...mutated, ...CONFIG_FILES]);
  for (const test of relatedTests(report, folder)) {
    // An empty name stands for tests whose file the runner could not tell.
    if (test !== '') for (const file of importClosure(root, test)) depends.add(file);
  }
  return { mutated, results: resultsHash(report, folder), depends: hashes(root, depends), tests: hashes(root, testFiles(root)) };
}

export function inputsFile(root: string, name: string): string {
  return join(root, 'reports/mutation', `${name}.inputs.json`);
}

export function recordInputs(root: string, name: string, folder: Folder, report: Report): void {
  writeFileSync(inputsFile(root, name), `${JSON.stringify(currentInputs(root, folder, report), null, 2)}\n`);
}

/** Why the folder must run again, or undefined when nothing its last results depend on has changed. */
export function whyRunAgain(root: string, name: string, folder: Folder, { file, report }: Incremental): string | undefined {
  const recordFile = inputsFile(root, name);
  if (!existsSync(recordFile)) return 'no record of what its last run depended on';
  if (report === undefined) return `${file} is missing`;
  const recorded = JSON.parse(readFileSync(recordFile, 'utf8')) as MutationInputs;
  const mutated = filesOf(root, folder);
  const added = mutated.find((file) => !recorded.mutated.includes(file));
  if (added !== undefined) return `${added} is new`;
  if (resultsHash(report, folder) !== recorded.results) return `its results in ${file} changed`;
  for (const [path, hash] of Object.entries(recorded.depends)) {
    if (hashOf(root, path) !== hash) return `${path} changed`;
  }
  for (const test of testFiles(root)) {
    if (recorded.tests[test] === hashOf(root, test)) continue;
    const reaches = [...importClosure(root, test)].find((file) => mutated.includes(file));
    if (reaches !== undefined) return `${test} is new or changed, and it imports ${reaches}`;
  }
  return undefined;
}
