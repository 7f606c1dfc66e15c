// The token of the disco `scs up` embeds: random, made afresh each time the agent starts it, and
// kept in the agent's state folder readable by its user alone. Its agent provides with it; anyone
// else on the host may read the stack's names (as from its DNS) but provide none.

import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the embedded disco's token is kept, in an agent's state folder. */
export const discoTokenFile = (stateDirectory: string) => join(stateDirectory, 'disco.token');

/** A new token, written to the state folder (0600) before any disco accepts it. */
export function makeDiscoToken(stateDirectory: string): { token: string; file: string } {
  mkdirSync(stateDirectory, { recursive: true, mode: 0o700 });
  const file = discoTokenFile(stateDirectory);
  const token = randomBytes(32).toString('hex');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  // The mode above applies only to a new file: one left by an earlier agent keeps whatever it had.
  chmodSync(file, 0o600);
  return { token, file };
}
