// Reading stack files (with overlays) and image manifests, with errors that name the file, the
// line, the key path and what was expected.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import * as v from 'valibot';
import { ConfigError, describeIssue, describeShape, isMap, keyLines, parseYaml } from '../config/yaml.ts';
import { deepMerge, type Yaml } from './merge.ts';
import { type ImageManifest, ImageManifestSchema, type Stack, StackSchema } from './schema.ts';

export const STACK_FILE = 'scs-stack.yaml';
export const IMAGE_FILE = 'scs.yaml';

export interface LoadedStack {
  readonly stack: Stack;
  readonly files: readonly string[];
  /** Paths in the stack are relative to the first file's folder, as with Compose. */
  readonly directory: string;
  /** Where a key path was last set, for errors found after validation. */
  locate(path: ReadonlyArray<string | number>): string;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
}

export function loadStack(files: readonly string[]): LoadedStack {
  const paths = (files.length ? files : [STACK_FILE]).map((file) => resolve(file));
  const sources = paths.map((file) => ({ file, text: readText(file) }));
  let merged: Yaml | undefined;
  for (const { file, text } of sources) {
    // Each file must be valid YAML by itself; parseYaml reports where it is not.
    const document = text.trim() === '' ? {} : (parseYaml(text, file, v.unknown()) as Yaml);
    if (!isMap(document)) throw new ConfigError(`${file}: expected keys and values at the top level, found ${describeShape(document)}`);
    merged = deepMerge(merged, document);
  }
  // Read only when an error needs a line: most loads never do.
  let known: Array<{ file: string; lines: Map<string, number> }> | undefined;
  const locate = (path: ReadonlyArray<string | number>): string => {
    known ??= sources.map(({ file, text }) => ({ file, lines: keyLines(text) }));
    const lines = known;
    // The last file that sets the deepest part of the path is the one to fix.
    for (let n = path.length; n > 0; n--) {
      const key = path.slice(0, n).join('.');
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i]!.lines.get(key);
        if (line !== undefined) return `${lines[i]!.file}:${line}`;
      }
    }
    return lines[lines.length - 1]!.file;
  };
  const parsed = v.safeParse(StackSchema, withoutExtensions(merged ?? {}));
  if (!parsed.success) {
    const { path, message } = describeIssue(StackSchema, parsed.issues[0]!);
    throw new ConfigError(`${locate(path)} ${path.length ? `${path.join('.')}: ` : ''}${message}`);
  }
  return { stack: parsed.output, files: paths, directory: dirname(paths[0]!), locate };
}

/** Top-level `x-` keys are the user's own (anchors to reuse, as Compose allows): not validated, not kept. */
export function withoutExtensions(document: Yaml): Yaml {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return document;
  return Object.fromEntries(Object.entries(document).filter(([key]) => !key.startsWith('x-')));
}

export function loadImageManifest(folder: string): ImageManifest {
  const file = resolve(folder, IMAGE_FILE);
  if (!existsSync(file)) throw new ConfigError(`no ${IMAGE_FILE} in ${folder}`);
  return parseYaml(readText(file), file, ImageManifestSchema);
}
