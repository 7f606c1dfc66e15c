// Stacks of one `app` service whose image a test builds again and again (scs images, images prune):
// each build writes a new marker into the image's folder, so each is a new content hash and tag.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { scs } from './cli.ts';

export function appImages(dir: () => string, tags: string[]) {
  return {
    /** A stack file named `name` of one service, app, built from `./app`; its path. */
    stackFile(name: string): string {
      const path = join(dir(), `${name}.yaml`);
      writeFileSync(path, `name: ${name}\nservices:\n  app:\n    image: ./app\n`);
      return path;
    },
    /** Builds the app image with this marker; returns its tag, which is also added to `tags`. */
    async build(path: string, marker: string): Promise<string> {
      writeFileSync(join(dir(), 'app/marker'), `${marker} ${process.pid} ${Date.now()}\n`);
      const built = scs(['build', '-f', path]);
      expect(await built.exited, built.stderr).toBe(0);
      const compiled = scs(['compile', '-f', path]);
      expect(await compiled.exited).toBe(0);
      const tag = JSON.parse(compiled.stdout).services[0].image.tag as string;
      tags.push(tag);
      return tag;
    },
  };
}
