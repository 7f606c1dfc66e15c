// The random id of one deployment of a stack: made by its agent's first start, kept in its state
// folder, and put on every volume and ENI it creates. Stack, environment, project and host name a
// deployment only as its files do; a second copy of the same files has another id, so neither
// shares nor deletes the other's volumes.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const file = (stateDirectory: string) => join(stateDirectory, 'stack-id');

/** The id kept in the state folder, or undefined before the first `scs up`. */
export function readStackId(stateDirectory: string): string | undefined {
  try {
    const id = readFileSync(file(stateDirectory), 'utf8').trim();
    return /^[0-9a-f]{32}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The id kept in the state folder, made on the first call. */
export function stackId(stateDirectory: string): string {
  const kept = readStackId(stateDirectory);
  if (kept) return kept;
  mkdirSync(stateDirectory, { recursive: true, mode: 0o700 });
  // Web Crypto, always there: `scs ps` reads this module, and node:crypto costs every look its load.
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');
  try {
    // `wx`: an agent starting at the same moment keeps the id written first.
    writeFileSync(file(stateDirectory), `${id}\n`, { flag: 'wx', mode: 0o600 });
    return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readStackId(stateDirectory) ?? id;
  }
}
