// Loggers for the code under test: one that says nothing, one that keeps every line for the test to read.

import { consola, type LogObject } from 'consola';

export const quietLogger = consola.create({ level: -999 });

/** A logger that keeps every line, debug included, for a test to read back. */
export function recordingLogger() {
  const entries: LogObject[] = [];
  const logger = consola.create({ level: 5, reporters: [{ log: (entry) => void entries.push(entry) }] });
  const text = (entry: LogObject) => entry.args.map(String).join(' ');
  return {
    logger,
    entries,
    /** The lines logged, of one type ('debug', 'warn', …) or of every type. */
    lines: (type?: string) => entries.filter((entry) => type === undefined || entry.type === type).map(text),
    logged: (pattern: RegExp) => entries.some((entry) => pattern.test(text(entry))),
  };
}
