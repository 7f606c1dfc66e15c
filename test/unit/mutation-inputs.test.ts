// When `npm run mutation` may leave a folder out: a small project on disk, with a folder's
// incremental file as Stryker leaves it, and each kind of change made to it in turn.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importClosure } from '../../bench/lib/import-graph.ts';
import { recordInputs, whyRunAgain } from '../../bench/lib/mutation-inputs.ts';

let root: string;
const INCREMENTAL = 'reports/mutation/names.incremental.json';

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'scs-mutation-inputs-'));
  write('src/names.ts', "import { LIMIT } from './limits.ts';\nexport const name = () => LIMIT;\n");
  write('src/limits.ts', 'export const LIMIT = 63;\n');
  write('src/other.ts', 'export const other = 1;\n');
  write('test/helpers/fixture.ts', "export { name } from '../../src/names.ts';\n");
  write('test/unit/names.test.ts', "import { name } from '../helpers/fixture.ts';\nimport '../../src/other.ts';\n");
  write('test/unit/other.test.ts', "import { other } from '../../src/other.ts';\n");
  write('stryker.config.mjs', 'export default {};\n');
  write(INCREMENTAL, JSON.stringify({ files: { 'src/names.ts': {} }, testFiles: { 'test/unit/names.test.ts': {} } }));
  recordInputs(root, 'names', INCREMENTAL);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

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
    expect(whyRunAgain(root, 'names')).toBeUndefined();
  });

  it('does, with no record of its last run', () => {
    rmSync(join(root, 'reports/mutation/names.inputs.json'));
    expect(whyRunAgain(root, 'names')).toBe('no record of what its last run depended on');
  });

  it.each([
    ['a file it mutates', 'src/names.ts'],
    ['a module a related test reaches through a helper', 'src/limits.ts'],
    ['a helper', 'test/helpers/fixture.ts'],
    ['a related test', 'test/unit/names.test.ts'],
    ['the configuration', 'stryker.config.mjs'],
    ['its incremental file (another run wrote it)', INCREMENTAL],
  ])('does, when %s changed', (_, path) => {
    write(path, '// changed\n');
    expect(whyRunAgain(root, 'names')).toBe(`${path} changed`);
  });

  it('does, when a related file is deleted', () => {
    rmSync(join(root, 'src/limits.ts'));
    expect(whyRunAgain(root, 'names')).toBe('src/limits.ts changed');
  });

  it('does not, when a test that reaches none of its files changed, or was added', () => {
    write('test/unit/other.test.ts', "import { other } from '../../src/other.ts';\n// more\n");
    write('test/unit/new.test.ts', "import { other } from '../../src/other.ts';\n");
    expect(whyRunAgain(root, 'names')).toBeUndefined();
  });

  it('does, when an unrelated test now imports one of its files', () => {
    write('test/unit/other.test.ts', "import { name } from '../helpers/fixture.ts';\n");
    expect(whyRunAgain(root, 'names')).toBe('test/unit/other.test.ts is new or changed, and it imports src/names.ts');
  });

  it('does, when a new test imports one of its files', () => {
    write('test/unit/new.test.ts', "import { name } from '../../src/names.ts';\n");
    expect(whyRunAgain(root, 'names')).toBe('test/unit/new.test.ts is new or changed, and it imports src/names.ts');
  });
});
