// The files of an image's build context: what its hash covers (manifest/) and what is sent to the
// engine to build it (docker/). Both read this one list, so they can never disagree.
//
// Left out: scs's state and git's, what the folder's `.dockerignore` and `.scsignore` match (Docker's
// pattern rules, `!` exceptions included), and the stack's secret files, which reach a container only
// as a read-only mount: never hashed into a tag, never sent to dockerd.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import dockerignore from '@balena/dockerignore';

export const IGNORE_FILES = ['.dockerignore', '.scsignore'] as const;

/** Every file under `context` that goes into the image, sorted; `leaveOut` names absolute paths (secrets). */
export function contextFiles(context: string, leaveOut: ReadonlySet<string> = new Set()): string[] {
  const patterns = IGNORE_FILES.map((name) => join(context, name))
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file, 'utf8'));
  // A CommonJS module whose types declare an ES default: `.default` is the factory for both.
  const kept = dockerignore.default({ ignorecase: false }).add(patterns.join('\n')).createFilter();
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === '.scs' || entry.name === '.git') continue;
      const path = join(dir, entry.name);
      const name = relative(context, path);
      if (entry.isDirectory()) walk(path);
      else if ((entry.isFile() || statSync(path).isFile()) && kept(name) && !leaveOut.has(path)) files.push(name);
    }
  };
  walk(context);
  return files.sort();
}
