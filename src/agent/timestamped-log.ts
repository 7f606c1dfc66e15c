// The background agent's log lines, as .scs/agent.log gets them: an ISO time (UTC, milliseconds)
// on every line, the level and the tag, and no ANSI escapes, since no terminal reads the file.

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

/** Makes `logger`, and every logger derived from it afterwards (withTag copies the reporters), write timestamped lines to `out`. */
export function useTimestampedLog(logger: ConsolaInstance, out: NodeJS.WritableStream = process.stdout): void {
  const reporter: ConsolaReporter = { log: (log) => void out.write(`${formatLogLine(log)}\n`) };
  logger.setReporters([reporter]);
}
