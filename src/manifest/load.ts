// Reading stack files (with overlays) and image manifests, with errors that name the file, the
// line, the key path and what was expected.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import * as v from 'valibot';
import { ConfigError, describeIssue, describeShape, isMap, keyLines, parseYaml } from '../config/yaml.ts';
import { parseDotenv } from './dotenv.ts';
import { InterpolationError, interpolate, interpolateValues } from './interpolate.ts';
import { deepMerge, type Yaml } from './merge.ts';
import { type ImageManifest, ImageManifestSchema, type Stack, StackSchema } from './schema.ts';

export const STACK_FILE = 'scs-stack.yaml';
export const IMAGE_FILE = 'scs.yaml';
/** Variables for the stack files, beside the first one, as Compose's. */
export const DOTENV_FILE = '.env';

/** The stack file's keys whose value is a number or true/false: a substituted value of theirs is cast (schema.ts, health-schema.ts). */
const TYPED_KEYS: ReadonlySet<string> = new Set([
  'replicas',
  'publish',
  'port',
  'size',
  'iops',
  'encrypted',
  'shareable',
  'device-index',
  'generate',
  'retries',
  'changes',
  'disable',
]);

/** Where the variables of the stack files come from: the environment (by default this process's), then `.env`. */
export interface LoadOptions {
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

export interface LoadedStack {
  readonly stack: Stack;
  readonly files: readonly string[];
  /** Paths in the stack are relative to the first file's folder, as with Compose. */
  readonly directory: string;
  /** Where a key path was last set, for errors found after validation. */
  locate(path: ReadonlyArray<string | number>): string;
  /** The variables the files read that are set (from the environment or `.env`), with their values. */
  readonly variables: Readonly<Record<string, string>>;
  /** The variables the files read that are not set and have no default: each became the empty string. */
  readonly unset: readonly string[];
  /** A variable as the files see it: the environment's, else `.env`'s (for SCS_PROFILES). */
  variable(name: string): string | undefined;
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

export function loadStack(files: readonly string[], { environment = process.env }: LoadOptions = {}): LoadedStack {
  const paths = (files.length ? files : [STACK_FILE]).map((file) => resolve(file));
  const sources = paths.map((file) => ({ file, text: readText(file) }));
  const dotenv = readDotenv(join(dirname(paths[0]!), DOTENV_FILE), environment);
  // The environment wins over .env, as in Compose; an own property only (`constructor` is no variable).
  const variable = (name: string) => (Object.hasOwn(environment, name) ? environment[name] : undefined) ?? dotenv.get(name);
  const variables: Record<string, string> = Object.create(null);
  const unset = new Set<string>();
  const how = {
    typedKeys: TYPED_KEYS,
    lookup: variable,
    unset: (name: string) => unset.add(name),
    read: (name: string) => {
      const value = variable(name);
      if (value !== undefined) variables[name] = value;
    },
  };
  let merged: Yaml | undefined;
  for (const { file, text } of sources) {
    // Each file must be valid YAML by itself; parseYaml reports where it is not.
    const document = text.trim() === '' ? {} : (parseYaml(text, file, v.unknown()) as Yaml);
    if (!isMap(document)) throw new ConfigError(`${file}: expected keys and values at the top level, found ${describeShape(document)}`);
    // Each file's values before the merge, so that an overlay's variables are its own to use.
    let substituted: Yaml;
    try {
      substituted = interpolateValues(withoutExtensions(document), how);
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      throw new ConfigError(`${lineOf(file, text, error.path)}: ${error.message}`);
    }
    merged = deepMerge(merged, substituted);
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
  return { stack: parsed.output, files: paths, directory: dirname(paths[0]!), locate, variables, unset: [...unset], variable };
}

/** `file:line` of the deepest part of `path` found in the file, else `file`. */
function lineOf(file: string, text: string, path: ReadonlyArray<string | number>): string {
  const lines = keyLines(text);
  for (let n = path.length; n > 0; n--) {
    const line = lines.get(path.slice(0, n).join('.'));
    if (line !== undefined) return `${file}:${line}`;
  }
  return file;
}

/**
 * The variables of the `.env` file (none when there is no such file). A value that is not
 * 'single-quoted' may use variables too, as in Compose: the environment's, then those set above it.
 */
function readDotenv(file: string, environment: Readonly<Record<string, string | undefined>>): Map<string, string> {
  const variables = new Map<string, string>();
  if (!existsSync(file)) return variables;
  for (const { key, value, line, literal } of parseDotenv(readText(file), file)) {
    if (literal) {
      variables.set(key, value);
      continue;
    }
    const lookup = (name: string) => (Object.hasOwn(environment, name) ? environment[name] : undefined) ?? variables.get(name);
    try {
      // An unset one is the empty string, said no more than in a shell.
      variables.set(key, interpolate(value, { lookup, unset: () => {} }));
    } catch (error) {
      if (error instanceof InterpolationError) throw new ConfigError(`${file}:${line}: ${error.message}`);
      throw error;
    }
  }
  return variables;
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
