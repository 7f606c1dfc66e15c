// What a folder's last mutation run depended on, kept beside its incremental file as
// reports/mutation/FOLDER.inputs.json, so that `npm run mutation` can leave out a folder none of
// whose inputs changed. Stryker's incremental mode reuses such a folder's every result too, but only
// after a first test run over every related test, minutes per folder; this check takes a second.
//
// A folder's inputs: the files it mutates; the tests Stryker found related to them, and every
// project module those import (helpers, the rest of src/); the mutation configuration and the
// lockfile; and its incremental file, so the record describes the results it sits beside. Any of
// those changed, and the folder runs. A test file added or changed elsewhere runs it too when the
// test imports, directly or not, a file the folder mutates: that is how Stryker relates tests.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importClosure } from './import-graph.ts';

/** The configuration every folder's run reads. */
const CONFIG_FILES = ['stryker.config.mjs', 'stryker.folders.json', 'stryker.vitest.config.ts', 'vitest.config.ts', 'package-lock.json'];

export interface MutationInputs {
  /** The files the folder mutates. */
  readonly mutated: readonly string[];
  /** Content hash of each file the results depend on, by path from the project root. */
  readonly depends: Readonly<Record<string, string>>;
  /** Content hash of every test file in the project, related or not. */
  readonly tests: Readonly<Record<string, string>>;
}

interface IncrementalReport {
  files: Record<string, unknown>;
  testFiles?: Record<string, unknown>;
}

/** A file's content hash, or 'missing': a file that is gone differs from one that is there. */
function hashOf(root: string, path: string): string {
  const file = join(root, path);
  return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'missing';
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

/** The inputs of the results in `incrementalFile` (a path from `root`), as the files are now. */
export function currentInputs(root: string, incrementalFile: string): MutationInputs {
  const report = JSON.parse(readFileSync(join(root, incrementalFile), 'utf8')) as IncrementalReport;
  const mutated = Object.keys(report.files).sort();
  const depends = new Set([...mutated, ...CONFIG_FILES, incrementalFile]);
  for (const test of Object.keys(report.testFiles ?? {})) {
    // An empty name stands for tests whose file the runner could not tell.
    if (test !== '') for (const file of importClosure(root, test)) depends.add(file);
  }
  return { mutated, depends: hashes(root, depends), tests: hashes(root, testFiles(root)) };
}

export function inputsFile(root: string, folder: string): string {
  return join(root, 'reports/mutation', `${folder}.inputs.json`);
}

export function recordInputs(root: string, folder: string, incrementalFile: string): void {
  writeFileSync(inputsFile(root, folder), `${JSON.stringify(currentInputs(root, incrementalFile), null, 2)}\n`);
}

/** Why the folder must run again, or undefined when nothing its last results depend on has changed. */
export function whyRunAgain(root: string, folder: string): string | undefined {
  const recordFile = inputsFile(root, folder);
  if (!existsSync(recordFile)) return 'no record of what its last run depended on';
  const recorded = JSON.parse(readFileSync(recordFile, 'utf8')) as MutationInputs;
  for (const [path, hash] of Object.entries(recorded.depends)) {
    if (hashOf(root, path) !== hash) return `${path} changed`;
  }
  const mutated = new Set(recorded.mutated);
  for (const test of testFiles(root)) {
    if (recorded.tests[test] === hashOf(root, test)) continue;
    const reaches = [...importClosure(root, test)].find((file) => mutated.has(file));
    if (reaches !== undefined) return `${test} is new or changed, and it imports ${reaches}`;
  }
  return undefined;
}
