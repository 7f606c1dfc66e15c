// Which process a PID is: its start time (clock ticks after boot, field 22 of /proc/PID/stat) and
// its command line. A PID is reused once its process exits; the two together are not, so the CLI
// signals the PID a state file names only while both still match what the agent recorded.

import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  readonly startTime: string;
  readonly commandLine: readonly string[];
}

/** Field 22 of /proc/PID/stat. The command name (field 2) may hold spaces and parentheses: fields are counted after its last `)`. */
export function startTimeOf(stat: string): string | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // The first field after the name is field 3.
  const value = fields[22 - 3];
  return value && /^\d+$/.test(value) ? value : undefined;
}

/** Field 3 of /proc/PID/stat: Z (zombie) or X (dead) is a process that has exited, not yet reaped by its parent. */
export function hasExited(stat: string): boolean {
  return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
}

/** The identity of the process `pid` now; undefined when there is none, or it has exited (or /proc cannot say). */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (hasExited(stat)) return undefined;
    const startTime = startTimeOf(stat);
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    return startTime === undefined ? undefined : { startTime, commandLine };
  } catch {
    return undefined;
  }
}

/** Whether `pid` is still the process that was recorded. */
export function isSameProcess(pid: number, recorded: ProcessIdentity): boolean {
  const now = processIdentity(pid);
  return (
    now !== undefined &&
    now.startTime === recorded.startTime &&
    now.commandLine.length === recorded.commandLine.length &&
    now.commandLine.every((arg, i) => arg === recorded.commandLine[i])
  );
}
