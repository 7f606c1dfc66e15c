// Secrets that `scs up` makes: each `generate: true` secret whose file is missing gets a random
// value before any container mounts it. The file is 0644, as Compose's secrets are inside a
// container, so that a program running as another user there (php-fpm's www-data) can read it; the
// folder it makes is 0700, which keeps the host's other users out. One that exists is kept, so
// a password made on the first `up` stays the same for the life of the data it guards.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CompiledStack } from '../manifest/compiled.ts';

/** Makes the missing generated secrets of the stack; returns the files it wrote. */
export function makeSecrets(compiled: CompiledStack): string[] {
  const made: string[] = [];
  const sources = new Set(
    compiled.services.flatMap((service) => (service.container.secrets ?? []).filter((s) => s.generate).map((s) => s.source)),
  );
  for (const source of sources) {
    mkdirSync(dirname(source), { recursive: true, mode: 0o700 });
    try {
      // `wx`: two `scs up` at once must not each write their own; the first one's stands.
      writeFileSync(source, `${randomBytes(24).toString('base64url')}\n`, { flag: 'wx', mode: 0o644 });
      made.push(source);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return made;
}
