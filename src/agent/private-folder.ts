// The agent's state folder (state, log, control socket) is its guard: Node can ask a Unix socket's
// peer neither its user (SO_PEERCRED) nor its process, so who may reach the control socket is who
// may enter the folder. It must be this user's, and closed to group and others.

import { lstatSync, mkdirSync } from 'node:fs';
import { UserError } from '../errors.ts';

/** Why `mode` and `uid` do not make a folder private to the user `self`; undefined when they do. */
export function privacyProblem(path: string, mode: number, uid: number, self: number): string | undefined {
  if (uid !== self) return `${path} belongs to user ${uid}, not to this user (${self})`;
  if ((mode & 0o077) !== 0) return `others can enter ${path} (mode ${(mode & 0o777).toString(8)}); chmod 700 ${path}`;
  return undefined;
}

/** Makes the folder (0700) when it is not there; refuses, in one sentence, one that others can enter or that is not this user's. */
export function ensurePrivateFolder(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const stats = lstatSync(path);
  if (!stats.isDirectory())
    throw new UserError(
      `the agent's folder ${path} is not a folder (a link?); the agent keeps its state and control socket only in a folder of its own`,
    );
  const problem = privacyProblem(path, stats.mode, stats.uid, process.getuid?.() ?? stats.uid);
  if (problem) throw new UserError(`the agent does not start in a folder others can reach: ${problem}`);
}
