// Reading Stryker's JSON report (mutation-testing-report-schema) into one row per folder, and
// keeping the incremental file small.

import { readFileSync, writeFileSync } from 'node:fs';
import { type Folder, mutates } from './folders.ts';

/** What the project reads of a report: each file's mutants. */
export interface Report {
  files: Record<string, { mutants: Mutant[] }>;
}

export interface Mutant {
  status: string;
  statusReason?: string;
}

export interface Counts {
  readonly mutants: number;
  readonly killed: number;
  readonly timedOut: number;
  readonly survived: number;
  readonly noCoverage: number;
  /** Judged equivalent where they stand (`// Stryker disable next-line …`), or static and left out. */
  readonly ignored: number;
}

export const readReport = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Report;

/** The counts of a report over the files `counted` picks. */
export function countsOf(report: Report, counted: (file: string) => boolean = () => true): Counts {
  const statuses = Object.entries(report.files)
    .filter(([file]) => counted(file))
    .flatMap(([, file]) => file.mutants.map((mutant) => mutant.status));
  const count = (status: string) => statuses.filter((each) => each === status).length;
  return {
    mutants: statuses.length,
    killed: count('Killed'),
    timedOut: count('Timeout'),
    survived: count('Survived'),
    noCoverage: count('NoCoverage'),
    ignored: count('Ignored'),
  };
}

/** Stryker's score: killed and timed out over those that count (ignored, compile and runtime errors do not). */
export function score(c: Counts): number {
  const counted = c.killed + c.timedOut + c.survived + c.noCoverage;
  return counted === 0 ? Number.NaN : (100 * (c.killed + c.timedOut)) / counted;
}

export const TABLE_HEADER = ['folder', 'mutants', 'score', 'killed', 'timed out', 'survived', 'no coverage', 'ignored'];

/** One row per folder, then one for them all, from the report of the run (or runs) that mutated them. */
export function tableRows(folders: ReadonlyArray<[name: string, folder: Folder, report: Report]>): string[][] {
  const row = (name: string, c: Counts) => [
    name,
    String(c.mutants),
    Number.isNaN(score(c)) ? '-' : `${score(c).toFixed(2)}%`,
    ...[c.killed, c.timedOut, c.survived, c.noCoverage, c.ignored].map(String),
  ];
  const each = folders.map(([name, folder, report]) => [name, countsOf(report, (file) => mutates(folder.mutate, file))] as const);
  const rows = each.map(([name, counts]) => row(name, counts));
  if (each.length > 1) {
    const keys = ['mutants', 'killed', 'timedOut', 'survived', 'noCoverage', 'ignored'] as const;
    const total = Object.fromEntries(keys.map((key) => [key, each.reduce((sum, [, counts]) => sum + counts[key], 0)])) as unknown as Counts;
    rows.push(row('all', total));
  }
  return rows;
}

/** A Markdown table, ready to paste into docs/testing.md. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) => `| ${widths.map((width, i) => (row[i] ?? '').padEnd(width)).join(' | ')} |`;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** How much of a mutant's status reason the incremental file keeps. */
const REASON_CHARS = 1000;

/**
 * Cuts each mutant's status reason in an incremental file to its first REASON_CHARS characters.
 * A reason is the failing assertion's message, and a test over 100,000 endpoints prints a diff of
 * tens of megabytes (connections' results once reached 146 MB); Stryker reads a reason only to show it.
 */
export function trimReasons(incrementalFile: string): void {
  const report = readReport(incrementalFile);
  let trimmed = 0;
  for (const file of Object.values(report.files)) {
    for (const mutant of file.mutants) {
      if (mutant.statusReason !== undefined && mutant.statusReason.length > REASON_CHARS) {
        mutant.statusReason = `${mutant.statusReason.slice(0, REASON_CHARS)}…`;
        trimmed++;
      }
    }
  }
  if (trimmed > 0) writeFileSync(incrementalFile, JSON.stringify(report));
}
