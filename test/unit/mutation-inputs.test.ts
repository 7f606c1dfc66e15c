// When `npm run mutation` may leave a folder out: a small project on disk, with the incremental
// file all runs share as Stryker leaves it, and each kind of change made to it in turn.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importClosure } from '../../bench/lib/import-graph.ts';
import type { Folder } from '../../bench/lib/mutation-folders.ts';
import { readIncremental, recordInputs, whyRunAgain } from '../../bench/lib/mutation-inputs.ts';

let root: string;
const INCREMENTAL = 'reports/mutation/incremental.json';
// ignoreStatic, as the small project's folders have no static mutants to try against every test.
const NAMES: Folder = { mutate: ['src/names*.ts'], ignoreStatic: true };
const OTHER: Folder = { mutate: ['src/other.ts'], ignoreStatic: true };
const NAMES_WITH_STATIC: Folder = { mutate: ['src/names*.ts'] };

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

interface FakeMutant {
  status: string;
  coveredBy?: string[];
  killedBy?: string[];
}

/** The shared incremental file, as Stryker leaves it: names' two mutants and other's one, tests by id. */
function writeReport({ names = [] as FakeMutant[], other = [] as FakeMutant[], ids = ['0', '1'] } = {}): void {
  const mutant = (line: number, m: FakeMutant) => ({
    mutatorName: 'StringLiteral',
    replacement: '""',
    location: { start: { line, column: 1 } },
    ...m,
  });
  write(
    INCREMENTAL,
    JSON.stringify({
      files: {
        'src/names.ts': { mutants: names.map((m, i) => mutant(i + 1, m)) },
        'src/other.ts': { mutants: other.map((m, i) => mutant(i + 1, m)) },
      },
      testFiles: { 'test/unit/names.test.ts': { tests: [{ id: ids[0] }] }, 'test/unit/other.test.ts': { tests: [{ id: ids[1] }] } },
    }),
  );
}
const killedByNamesTest = (id = '0'): FakeMutant => ({ status: 'Killed', coveredBy: [id], killedBy: [id] });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'scs-mutation-inputs-'));
  write('src/names.ts', "import { LIMIT } from './limits.ts';\nexport const name = () => LIMIT;\n");
  write('src/limits.ts', 'export const LIMIT = 63;\n');
  write('src/other.ts', 'export const other = 1;\n');
  write('test/helpers/fixture.ts', "export { name } from '../../src/names.ts';\n");
  write('test/unit/names.test.ts', "import { name } from '../helpers/fixture.ts';\nimport '../../src/other.ts';\n");
  write('test/unit/other.test.ts', "import { other } from '../../src/other.ts';\n");
  write('stryker.config.mjs', 'export default {};\n');
  writeReport({
    names: [killedByNamesTest(), { status: 'Survived', coveredBy: ['0'] }],
    other: [{ status: 'Killed', coveredBy: ['1'], killedBy: ['1'] }],
  });
  recordInputs(root, 'names', NAMES, currentReport());
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** The incremental file as it is now on disk. */
function currentReport() {
  const { report } = readIncremental(root, INCREMENTAL);
  if (report === undefined) throw new Error(`${INCREMENTAL} is missing`);
  return report;
}

const why = () => whyRunAgain(root, 'names', NAMES, readIncremental(root, INCREMENTAL));

describe('the import graph', () => {
  it('follows relative imports and re-exports through helpers, and leaves packages out', () => {
    write('test/unit/names.test.ts', "import { it } from 'vitest';\nimport { name } from '../helpers/fixture.ts';\n");
    expect([...importClosure(root, 'test/unit/names.test.ts')].sort()).toEqual([
      'src/limits.ts',
      'src/names.ts',
      'test/helpers/fixture.ts',
      'test/unit/names.test.ts',
    ]);
  });

  it('follows a dynamic import with a literal path, and a side-effect import', () => {
    write('test/unit/lazy.test.ts', "import '../../src/other.ts';\nconst names = await import('../../src/names.ts');\n");
    expect(importClosure(root, 'test/unit/lazy.test.ts')).toEqual(
      new Set(['test/unit/lazy.test.ts', 'src/other.ts', 'src/names.ts', 'src/limits.ts']),
    );
  });
});

describe('whether a folder runs again', () => {
  it('does not, when nothing changed', () => {
    expect(why()).toBeUndefined();
  });

  it('does, with no record of its last run', () => {
    rmSync(join(root, 'reports/mutation/names.inputs.json'));
    expect(why()).toBe('no record of what its last run depended on');
  });

  it('does, without the incremental file', () => {
    rmSync(join(root, INCREMENTAL));
    expect(why()).toBe(`${INCREMENTAL} is missing`);
  });

  it.each([
    ['a file it mutates', 'src/names.ts'],
    ['a module a related test reaches through a helper', 'src/limits.ts'],
    ['a helper', 'test/helpers/fixture.ts'],
    ['a test that reaches one of its mutants', 'test/unit/names.test.ts'],
    ['the configuration', 'stryker.config.mjs'],
  ])('does, when %s changed', (_, path) => {
    write(path, '// changed\n');
    expect(why()).toBe(`${path} changed`);
  });

  it('does, when a related file is deleted', () => {
    rmSync(join(root, 'src/limits.ts'));
    expect(why()).toBe('src/limits.ts changed');
  });

  it('does, when a file is added to the folder', () => {
    write('src/names-extra.ts', 'export const extra = 1;\n');
    expect(why()).toBe('src/names-extra.ts is new');
  });

  it('does, when one of its results changed (a run by hand)', () => {
    writeReport({ names: [killedByNamesTest(), killedByNamesTest()], other: [{ status: 'Killed', coveredBy: ['1'], killedBy: ['1'] }] });
    expect(why()).toBe(`its results in ${INCREMENTAL} changed`);
  });

  it("does not, when another folder's run rewrote the file: its results renumbered, another's changed", () => {
    writeReport({
      names: [killedByNamesTest('a'), { status: 'Survived', coveredBy: ['a'] }],
      other: [{ status: 'Survived' }],
      ids: ['a', 'b'],
    });
    expect(why()).toBeUndefined();
  });

  it('does not, when a test that reaches none of its mutants or files changed, or was added', () => {
    write('test/unit/other.test.ts', "import { other } from '../../src/other.ts';\n// more\n");
    write('test/unit/new.test.ts', "import { other } from '../../src/other.ts';\n");
    expect(why()).toBeUndefined();
  });

  it('does, when a test that reaches none of its mutants changed, if it tries static mutants (each against every test)', () => {
    recordInputs(root, 'names', NAMES_WITH_STATIC, currentReport());
    write('test/unit/other.test.ts', "import { other } from '../../src/other.ts';\n// more\n");
    expect(whyRunAgain(root, 'names', NAMES_WITH_STATIC, readIncremental(root, INCREMENTAL))).toBe('test/unit/other.test.ts changed');
  });

  it('does, when an unrelated test now imports one of its files', () => {
    write('test/unit/other.test.ts', "import { name } from '../helpers/fixture.ts';\n");
    expect(why()).toBe('test/unit/other.test.ts is new or changed, and it imports src/names.ts');
  });

  it('does, when a new test imports one of its files', () => {
    write('test/unit/new.test.ts', "import { name } from '../../src/names.ts';\n");
    expect(why()).toBe('test/unit/new.test.ts is new or changed, and it imports src/names.ts');
  });

  it("records the other folder's inputs apart: a change to its file runs it, and not names", () => {
    recordInputs(root, 'other', OTHER, currentReport());
    write('src/other.ts', 'export const other = 2;\n');
    expect(whyRunAgain(root, 'other', OTHER, readIncremental(root, INCREMENTAL))).toBe('src/other.ts changed');
    // names.test.ts imports src/other.ts too, so names depends on it as well.
    expect(why()).toBe('src/other.ts changed');
  });
});
