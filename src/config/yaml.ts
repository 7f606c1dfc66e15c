// YAML files validated with valibot, with errors a person can act on:
// `disco.yaml:7 dns.zones.1.filtr: unknown key (did you mean "filter"?)`.

import { readFileSync } from 'node:fs';
import { CORE_SCHEMA, EVENT_ID, getScalarValue, load, mergeTag, parseEvents, YAMLException } from 'js-yaml';
import * as v from 'valibot';
import { issueMessage } from '../protocol/fields.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Path = ReadonlyArray<string | number>;

/** The line (from 1) of each offset in `source`: one pass to find the line starts, then a binary search per offset. */
export function lineFinder(source: string): (offset: number) => number {
  const starts = [0];
  for (let at = source.indexOf('\n'); at >= 0; at = source.indexOf('\n', at + 1)) starts.push(at + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
}

/** Where each key path starts in the source, read from the parser's events. */
export function keyLines(source: string): Map<string, number> {
  const lines = new Map<string, number>();
  // Counting the newlines before each event from the start made a 470 KB file take 35 s.
  const lineAt = lineFinder(source);
  const stack: Array<{ map: boolean; key: string | number | undefined; expectingKey: boolean; index: number; path: Path }> = [];
  const valueDone = () => {
    const top = stack[stack.length - 1];
    if (!top) return;
    if (top.map) top.expectingKey = true;
    else top.index++;
  };
  const childPath = (): Path | undefined => {
    const top = stack[stack.length - 1];
    if (!top) return [];
    return top.map ? [...top.path, top.key!] : [...top.path, top.index];
  };
  for (const event of parseEvents(source, {})) {
    const top = stack[stack.length - 1];
    switch (event.type) {
      case EVENT_ID.SCALAR:
        if (top?.map && top.expectingKey) {
          top.key = getScalarValue(source, event);
          top.expectingKey = false;
          const path = [...top.path, top.key].join('.');
          if (!lines.has(path)) lines.set(path, lineAt(event.valueStart));
        } else {
          const path = childPath();
          if (path && !top?.map) lines.set(path.join('.'), lineAt(event.valueStart));
          valueDone();
        }
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const path = childPath() ?? [];
        if (top && !top.map) lines.set(path.join('.'), lineAt(event.start));
        stack.push({ map: event.type === EVENT_ID.MAPPING, key: undefined, expectingKey: true, index: 0, path });
        break;
      }
      case EVENT_ID.ALIAS:
        valueDone();
        break;
      case EVENT_ID.POP:
        if (stack.length > 0) {
          stack.pop();
          valueDone();
        }
        break;
    }
  }
  return lines;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The closest of `candidates` to `word`, if it is close enough to be a likely typo. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** The keys a strict object schema allows, found by walking the schema along `path`. */
function allowedKeys(schema: v.GenericSchema, path: Path): string[] {
  let node: unknown = schema;
  const unwrap = (s: unknown): unknown => {
    let current = s as { type?: string; wrapped?: unknown; item?: unknown; entries?: unknown; options?: unknown[]; pipe?: unknown[] };
    for (let i = 0; i < 10 && current; i++) {
      if (current.wrapped) current = current.wrapped as typeof current;
      else if (current.type === 'union' && Array.isArray(current.options)) {
        current = current.options.find((o) => (o as { entries?: unknown }).entries) as typeof current;
      } else break;
    }
    return current;
  };
  for (const step of path) {
    const current = unwrap(node) as { entries?: Record<string, unknown>; item?: unknown; value?: unknown };
    if (typeof step === 'number') node = current?.item;
    else node = current?.entries?.[step] ?? current?.value;
  }
  const target = unwrap(node) as { entries?: Record<string, unknown> } | undefined;
  return target?.entries ? Object.keys(target.entries) : [];
}

export function describeIssue(schema: v.GenericSchema, issue: v.BaseIssue<unknown>): { path: Path; message: string } {
  const path = (issue.path ?? []).map((item) => item.key as string | number);
  // A strict object reports an unknown key as expecting "never"; a value of the wrong type is another issue.
  if (issue.kind === 'schema' && issue.type === 'strict_object' && issue.expected === 'never' && path.length > 0) {
    const key = String(path[path.length - 1]);
    const hint = suggest(key, allowedKeys(schema, path.slice(0, -1)));
    return { path, message: hint ? `unknown key (did you mean "${hint}"?)` : 'unknown key' };
  }
  // valibot's own words for a missing key, where the schema gives none of its own.
  if (issue.message.startsWith('Invalid key: Expected') && issue.received === 'undefined' && path.length > 0) {
    return { path, message: 'missing key' };
  }
  return { path, message: issueMessage(issue) };
}

export const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a YAML document is, for errors: "a list", "the text \"listen 1\"". */
export function describeShape(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? `the text ${JSON.stringify(value.slice(0, 40))}` : `the value ${String(value)}`;
}

/** Reads and validates a YAML file; throws ConfigError naming the file, line, key path and problem. */
export function loadYamlFile<S extends v.GenericSchema>(file: string, schema: S): v.InferOutput<S> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  return parseYaml(source, file, schema);
}

// Merge keys (`<<: *defaults`) as Compose files use them with anchors.
const YAML_SCHEMA = CORE_SCHEMA.withTags(mergeTag);

export function parseYaml<S extends v.GenericSchema>(source: string, file: string, schema: S): v.InferOutput<S> {
  let document: unknown;
  try {
    document = source.trim() === '' ? {} : load(source, { filename: file, schema: YAML_SCHEMA });
  } catch (error) {
    if (error instanceof YAMLException) {
      const line = error.mark ? `:${(error.mark as { line: number }).line + 1}` : '';
      throw new ConfigError(`${file}${line}: not valid YAML: ${error.reason}`);
    }
    throw new ConfigError(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  // valibot reads a list as an object with keys 0, 1...: say plainly what the top level must be.
  const wantsMap = schema.type === 'strict_object' || schema.type === 'object';
  if (wantsMap && !isMap(document))
    throw new ConfigError(`${file}: expected keys and values at the top level, found ${describeShape(document)}`);
  const parsed = v.safeParse(schema, document);
  if (parsed.success) return parsed.output;
  const { path, message } = describeIssue(schema, parsed.issues[0]!);
  const lines = keyLines(source);
  let line: number | undefined;
  for (let n = path.length; n > 0 && line === undefined; n--) line = lines.get(path.slice(0, n).join('.'));
  const where = line === undefined ? file : `${file}:${line}`;
  throw new ConfigError(path.length ? `${where} ${path.join('.')}: ${message}` : `${where}: ${message}`);
}
