// The folders of tools/mutation/folders.json: which files each one mutates, and which folders can
// share one Stryker run. Every Stryker run begins with a test run of every related test (about four
// minutes when src/names.ts is among its files, since nearly every test imports it); folders that ask
// for the same options share that first run instead of paying it each.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { minimatch } from 'minimatch';

export interface Folder {
  /** Stryker's `mutate` patterns, read in turn: a pattern adds files, a `!` pattern takes them out again. */
  readonly mutate: readonly string[];
  readonly ignoreStatic?: boolean;
  readonly concurrency?: number;
  /** The test files its mutants are tried against, instead of every related test. */
  readonly tests?: readonly string[];
}

/** Whether `patterns` mutate `file` (a path from the project root), as Stryker reads them. */
export function mutates(patterns: readonly string[], file: string): boolean {
  let included = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) included &&= !minimatch(file, pattern.slice(1));
    else included ||= minimatch(file, pattern);
  }
  return included;
}

/** The files a folder mutates now, sorted. */
export function filesOf(root: string, folder: Folder): string[] {
  const tops = new Set(folder.mutate.filter((pattern) => !pattern.startsWith('!')).map((pattern) => pattern.split('/')[0] as string));
  const candidates = [...tops].flatMap((top) => {
    const path = join(root, top);
    const isDirectory = statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
    return isDirectory ? readdirSync(path, { recursive: true, encoding: 'utf8' }).map((name) => `${top}/${name}`) : [top];
  });
  return candidates.filter((file) => mutates(folder.mutate, file)).sort();
}

/**
 * The chosen folders in Stryker runs, in order: folders whose options agree (static mutants,
 * runners, own tests) go in one run. A folder's options hold for every mutant of its run.
 */
export function runsOf(folders: Readonly<Record<string, Folder>>, chosen: readonly string[]): string[][] {
  const runs = new Map<string, string[]>();
  for (const name of chosen) {
    const { ignoreStatic = false, concurrency = null, tests = null } = folders[name] ?? { mutate: [] };
    const options = JSON.stringify([ignoreStatic, concurrency, tests]);
    runs.set(options, [...(runs.get(options) ?? []), name]);
  }
  return [...runs.values()];
}
