// Key material (token files, TLS keys) is read like any file, with a warning, one line naming the
// file, when its mode lets group or others read it: anyone on the host could then act as its owner.

import { statSync } from 'node:fs';
import { type ConsolaInstance, consola } from 'consola';

/** The warning for a key file of this mode, or undefined when only its owner may read it. */
export function keyFileWarning(path: string, mode: number): string | undefined {
  if ((mode & 0o044) === 0) return undefined;
  return `${path} holds key material but group or others may read it (mode ${(mode & 0o777).toString(8)}); chmod 600 ${path}`;
}

/** Warns when a key file (a link's target) is readable by group or others; a file that cannot be looked at is its reader's to report. */
export function warnIfKeyFileOpen(path: string, logger: Pick<ConsolaInstance, 'warn'> = consola): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    return;
  }
  const warning = keyFileWarning(path, mode);
  if (warning) logger.warn(warning);
}
