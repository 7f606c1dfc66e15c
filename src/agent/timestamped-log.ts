// The agent's log lines, as `scs agent` writes them (into agent.log under `scs up -d`, the journal
// under systemd): an ISO time (UTC, milliseconds) on every line, the level and the tag, and no ANSI
// escapes, since no terminal reads them. Errors and warnings go to stderr, the rest to stdout.

import { formatWithOptions, stripVTControlCharacters } from 'node:util';
import type { ConsolaInstance, ConsolaReporter, LogObject } from 'consola';

export function formatLogLine(log: Pick<LogObject, 'date' | 'type' | 'tag' | 'args'>): string {
  const message = stripVTControlCharacters(formatWithOptions({ colors: false }, ...(log.args as unknown[])));
  const prefix = `${log.date.toISOString()} ${log.type.padEnd(7)}${log.tag ? ` [${log.tag}]` : ''}`;
  // A message of several lines (a failed build step's output) keeps the time on each of them.
  return message
    .split('\n')
    .map((line) => `${prefix} ${line}`)
    .join('\n');
}

/** Makes `logger`, and every logger derived from it afterwards (withTag copies the reporters), write timestamped lines. */
export function useTimestampedLog(
  logger: ConsolaInstance,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): void {
  // consola's levels: 0 is an error, 1 a warning.
  const reporter: ConsolaReporter = { log: (log) => void (log.level <= 1 ? err : out).write(`${formatLogLine(log)}\n`) };
  logger.setReporters([reporter]);
}
