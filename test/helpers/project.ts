// A stack folder for manifest tests: files by path, written into a fresh temporary folder.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../../src/manifest/compile.ts';
import { loadStack } from '../../src/manifest/load.ts';

export function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'scs-manifest-test-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** The compiled stack of the stack files in `dir` (scs-stack.yaml when none is named). */
export const compileAt = (dir: string, ...files: string[]) =>
  compile(loadStack((files.length ? files : ['scs-stack.yaml']).map((file) => join(dir, file))));
