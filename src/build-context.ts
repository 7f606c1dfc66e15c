// The files of an image's build context: what its hash covers (manifest/) and what is sent to the
// engine to build it (docker/). Both read this one list, so they can never disagree.

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file under `context`, sorted, leaving out scs's state and git's. */
export function contextFiles(context: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === '.scs' || entry.name === '.git') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() || statSync(path).isFile()) files.push(relative(context, path));
    }
  };
  walk(context);
  return files.sort();
}
