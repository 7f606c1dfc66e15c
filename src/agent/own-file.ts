// Reading what an agent wrote into its state folder: only a regular file of this user's, reached
// without following a link, that others cannot write (or, for what is private, cannot even read).
// Anything else says nothing this user's scs should act on.

import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

export interface OwnFileRules {
  /** Refuse a file group or others may read too (0600), not only one they may write. */
  readonly private?: boolean;
  /** Refuse a file larger than this many bytes. */
  readonly maxBytes?: number;
}

/** The text of `path` when it is this user's own file under `rules`; undefined otherwise, or when it cannot be read. */
export function readOwnFile(path: string, rules: OwnFileRules = {}): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    const closed = rules.private ? 0o077 : 0o022;
    if (!stats.isFile() || stats.uid !== process.getuid?.() || (stats.mode & closed) !== 0) return undefined;
    if (rules.maxBytes !== undefined && stats.size > rules.maxBytes) return undefined;
    return readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
