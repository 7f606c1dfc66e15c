// The table `npm run mutation` prints: Stryker's JSON report read into one row per folder.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countsOf, formatTable, type Report, score, TABLE_HEADER, tableRows, trimReasons } from '../../../tools/mutation/report.ts';

const mutants = (...statuses: string[]) => ({ mutants: statuses.map((status) => ({ status })) });

const REPORT: Report = {
  files: {
    'src/names.ts': mutants('Killed', 'Killed', 'Timeout', 'Survived', 'Ignored', 'RuntimeError'),
    'src/server/server.ts': mutants('Killed', 'NoCoverage', 'Survived', 'Survived'),
    'src/server/fanout.ts': mutants('Killed'),
  },
};

describe("a folder's counts", () => {
  it('counts each status over the files it picks, and leaves the others out', () => {
    expect(countsOf(REPORT, (file) => file === 'src/names.ts')).toEqual({
      mutants: 6,
      killed: 2,
      timedOut: 1,
      survived: 1,
      noCoverage: 0,
      ignored: 1,
    });
  });

  it('scores killed and timed out over those that count: ignored mutants and errors do not', () => {
    expect(score(countsOf(REPORT, (file) => file === 'src/names.ts'))).toBe(75);
    expect(score(countsOf(REPORT, (file) => file === 'src/server/server.ts'))).toBe(25);
  });

  it('has no score when nothing counts', () => {
    expect(score(countsOf({ files: { 'a.ts': mutants('Ignored') } }))).toBeNaN();
  });
});

describe('the table', () => {
  it('has a row per folder, from its own files only, and one for all of them', () => {
    const rows = tableRows([
      ['names', { mutate: ['src/names.ts'] }, REPORT],
      ['server', { mutate: ['src/server/**/*.ts', '!src/server/fanout.ts'] }, REPORT],
    ]);
    expect(rows).toEqual([
      ['names', '6', '75.00%', '2', '1', '1', '0', '1'],
      ['server', '4', '25.00%', '1', '0', '2', '1', '0'],
      ['all', '10', '50.00%', '3', '1', '3', '1', '1'],
    ]);
  });

  it('has no row for all when there is one folder, and a dash for a folder with nothing counted', () => {
    expect(tableRows([['empty', { mutate: ['src/none.ts'] }, REPORT]])).toEqual([['empty', '0', '-', '0', '0', '0', '0', '0']]);
  });

  it('is printed in Markdown, each column as wide as its widest cell', () => {
    expect(formatTable(['folder', 'score'], [['names', '100.00%']])).toBe(
      ['| folder | score   |', '|--------|---------|', '| names  | 100.00% |'].join('\n'),
    );
    expect(formatTable(TABLE_HEADER, []).split('\n')).toHaveLength(2);
  });
});

describe('the incremental file', () => {
  it("keeps the first 1,000 characters of a mutant's status reason, and the rest as it was", () => {
    const dir = mkdtempSync(join(tmpdir(), 'scs-mutation-report-'));
    try {
      const file = join(dir, 'incremental.json');
      const long = 'x'.repeat(5000);
      const report = {
        schemaVersion: '2',
        files: {
          'a.ts': {
            mutants: [
              { status: 'Killed', statusReason: long },
              { status: 'Killed', statusReason: 'short' },
            ],
          },
        },
      };
      writeFileSync(file, JSON.stringify(report));
      trimReasons(file);
      const after = JSON.parse(readFileSync(file, 'utf8'));
      expect(after.schemaVersion).toBe('2');
      expect(after.files['a.ts'].mutants.map((m: { statusReason: string }) => m.statusReason)).toEqual([`${'x'.repeat(1000)}…`, 'short']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
