// One agent per project and stack: the first claims its state folder by writing agent.pid (its PID,
// start time and command line); a second is refused while that process is still the agent that
// wrote it. What a dead agent leaves (agent.pid, agent.sock, a state naming it) never blocks its
// successor: a PID that is gone, or that another process has taken, is stale and cleared.

import { closeSync, constants, linkSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { UserError } from '../errors.ts';
import { isSameProcess, processIdentity } from './process-identity.ts';

const Holder = v.object({
  pid: v.pipe(v.number(), v.integer(), v.minValue(1)),
  agentProcess: v.object({ startTime: v.string(), commandLine: v.array(v.string()) }),
});
type Holder = v.InferOutput<typeof Holder>;

export const lockFile = (folder: string) => join(folder, 'agent.pid');

/** The live agent that holds the folder; undefined when none does (no file, or one a dead or other process left). */
export function lockHolder(folder: string): Holder | undefined {
  let text: string;
  try {
    // Written 0600 in a 0700 folder; a link is not followed.
    const fd = openSync(lockFile(folder), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  let parsed: v.SafeParseResult<typeof Holder>;
  try {
    parsed = v.safeParse(Holder, JSON.parse(text));
  } catch {
    return undefined;
  }
  return parsed.success && isSameProcess(parsed.output.pid, parsed.output.agentProcess) ? parsed.output : undefined;
}

/**
 * Claims `folder` for this process, or refuses in one sentence naming the agent that holds it.
 * Returns the release, which removes agent.pid while it is still this process's.
 */
export function claimFolder(folder: string, what: string): () => void {
  const self = processIdentity(process.pid);
  if (!self) throw new UserError(`cannot tell which process this is (/proc/${process.pid} cannot be read); the agent needs /proc`);
  const mine = JSON.stringify({ pid: process.pid, agentProcess: self });
  // The content is whole before the name appears: written aside, then linked (which fails if the name is taken).
  const aside = join(folder, `agent.pid.${process.pid}`);
  rmSync(aside, { force: true });
  const fd = openSync(aside, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeFileSync(fd, `${mine}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(aside, lockFile(folder));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw error;
      }
      const holder = lockHolder(folder);
      if (holder && holder.pid !== process.pid)
        throw new UserError(`${what} is already running (pid ${holder.pid}); scs down stops it, scs ps shows it`);
      // A dead agent's, or one whose PID another process has taken since.
      rmSync(lockFile(folder), { force: true });
    }
  } finally {
    rmSync(aside, { force: true });
  }
  return () => {
    if (lockHolder(folder)?.pid === process.pid) rmSync(lockFile(folder), { force: true });
  };
}
