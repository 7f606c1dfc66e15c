// A `.env` file as Docker Compose reads one: `KEY=value` a line, `# comments`, blank lines,
// `export KEY=value` tolerated, 'single quotes' taken literally, "double quotes" with \n and the like.
// Parsing only: load.ts reads the file, and substitutes the variables of the values that are not
// 'single-quoted'. Every line is scanned once, left to right.

import { ConfigError } from '../config/yaml.ts';

/** Compose's keys: a letter or underscore first, then letters, digits, `_`, `.` and `-`. */
const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$' };

export interface DotenvLine {
  readonly key: string;
  readonly value: string;
  /** Its line, from 1. */
  readonly line: number;
  /** 'Single-quoted': taken as it is, `$` and all. */
  readonly literal: boolean;
}

/** The variables of a `.env` file, in order (a key given twice is there twice: the last wins). Errors name `file` and the line. */
export function parseDotenv(text: string, file: string): DotenvLine[] {
  const variables: DotenvLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fail = (message: string): never => {
      throw new ConfigError(`${file}:${i + 1}: ${message}`);
    };
    let line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ') || line.startsWith('export\t')) line = line.slice('export'.length).trimStart();
    const equals = line.indexOf('=');
    if (equals < 0) fail(`expected KEY=value, found ${JSON.stringify(line.slice(0, 40))}`);
    const key = line.slice(0, equals).trimEnd();
    if (!KEY.test(key)) fail(`${JSON.stringify(key.slice(0, 40))} is not a variable name (letters, digits and _, not a digit first)`);
    const rest = line.slice(equals + 1).trimStart();
    variables.push({ key, value: value(rest, fail), line: i + 1, literal: rest.startsWith("'") });
  }
  return variables;
}

function value(text: string, fail: (message: string) => never): string {
  const quote = text[0];
  if (quote !== "'" && quote !== '"') {
    // Unquoted: a `#` after a blank starts a comment, as in a shell.
    let end = text.length;
    for (let at = 1; at < text.length; at++) {
      if (text[at] === '#' && (text[at - 1] === ' ' || text[at - 1] === '\t')) {
        end = at;
        break;
      }
    }
    return text.slice(0, end).trimEnd();
  }
  let out = '';
  let at = 1;
  for (; at < text.length && text[at] !== quote; at++) {
    const char = text[at]!;
    if (quote === '"' && char === '\\' && at + 1 < text.length) {
      const next = text[++at]!;
      out += ESCAPES[next] ?? `\\${next}`;
    } else {
      out += char;
    }
  }
  if (at >= text.length) fail(`the value has no closing ${quote}`);
  const rest = text.slice(at + 1).trim();
  if (rest !== '' && !rest.startsWith('#')) fail(`unexpected ${JSON.stringify(rest.slice(0, 20))} after the closing ${quote}`);
  return out;
}
