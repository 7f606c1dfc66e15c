// Reading and tidying Stryker's reports (mutation-testing-report-schema): the counts a folder's
// score comes from, and the committed incremental file kept small.

import { readFileSync, writeFileSync } from 'node:fs';

export interface Counts {
  readonly mutants: number;
  readonly killed: number;
  readonly timedOut: number;
  readonly survived: number;
  readonly noCoverage: number;
}

/** What the project reads of a report (mutation-testing-report-schema): its mutants, and its tests by id. */
export interface Report {
  files: Record<string, { mutants: Mutant[] }>;
  testFiles?: Record<string, { tests: { id: string }[] }>;
}

export interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  statusReason?: string;
  location: { start: { line: number; column: number } };
  coveredBy?: string[];
  killedBy?: string[];
}

export const readReport = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Report;

/** The counts of a report (a JSON report, or the incremental file, which holds the same), over the files `counted` picks. */
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
  };
}

/** Stryker's score: killed and timed out over those that count (compile errors and ignored do not). */
export const score = (c: Counts) => (100 * (c.killed + c.timedOut)) / (c.killed + c.timedOut + c.survived + c.noCoverage);

/** How much of a mutant's status reason the committed incremental file keeps. */
const REASON_CHARS = 1000;

/**
 * Cuts each mutant's status reason in an incremental file to its first REASON_CHARS characters.
 * A reason is the failing assertion's message, and a test over 100,000 endpoints prints a diff of
 * tens of megabytes (connections' file reached 146 MB); Stryker reads a reason only to show it.
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
  // Stryker's own layout, so that a run's commit shows only what changed.
  if (trimmed > 0) writeFileSync(incrementalFile, JSON.stringify(report, null, 2));
}
