// The agent's disco session, kept in its state folder (0600) for the agent that comes after it: a
// supervisor's restart resumes the same session within the server's grace, with the token the agent
// is configured with, so its provisions never drop. Kept only for a disco that outlives the agent (an
// embedded one dies with it). Removed when the agent says goodbye: that session is over.

import { closeSync, constants, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import type { SessionRecord } from '../client/client.ts';
import { readOwnFile } from './own-file.ts';

const SESSION_FILE = 'disco-session.json';
/** More would be no agent's: a record this large is not read. */
const MAX_BYTES = 1 << 20;

const Key = v.pipe(v.string(), v.maxLength(64));
const Attrs = v.optional(v.record(v.pipe(v.string(), v.maxLength(256)), v.pipe(v.string(), v.maxLength(4096))));
const Name = v.pipe(v.string(), v.maxLength(512));

const SavedSessionSchema = v.object({
  /** The disco it was opened with: a session is resumed only there. */
  disco: v.string(),
  session: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  provisions: v.record(
    Key,
    v.object({
      name: Name,
      host: v.pipe(v.string(), v.maxLength(256)),
      port: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)),
      protocol: v.optional(v.picklist(['tcp', 'udp'])),
      attrs: Attrs,
    }),
  ),
  watches: v.record(Key, v.object({ name: Name, attrs: Attrs })),
});

export const sessionFile = (stateDirectory: string) => join(stateDirectory, SESSION_FILE);

/** The session an earlier agent with this state folder held at `disco`, if it left one this user alone could have written. */
export function readSavedSession(stateDirectory: string, disco: string): SessionRecord | undefined {
  const text = readOwnFile(sessionFile(stateDirectory), { private: true, maxBytes: MAX_BYTES });
  if (text === undefined) return undefined;
  try {
    const parsed = v.safeParse(SavedSessionSchema, JSON.parse(text));
    if (!parsed.success || parsed.output.disco !== disco) return undefined;
    const { session, provisions, watches } = parsed.output;
    return { session, provisions, watches };
  } catch {
    return undefined;
  }
}

/** Replaces the record atomically: a successor killed mid-write reads the last whole one. */
export function saveSession(stateDirectory: string, disco: string, record: SessionRecord): void {
  const file = sessionFile(stateDirectory);
  rmSync(`${file}.tmp`, { force: true });
  const fd = openSync(`${file}.tmp`, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeFileSync(fd, JSON.stringify({ disco, ...record }));
  } finally {
    closeSync(fd);
  }
  renameSync(`${file}.tmp`, file);
}

export function forgetSession(stateDirectory: string): void {
  rmSync(sessionFile(stateDirectory), { force: true });
}
