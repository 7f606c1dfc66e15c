// Variables in stack files, as Docker Compose substitutes them: `${VAR}`, `$VAR`, `${VAR:-default}`
// (unset or empty), `${VAR-default}` (unset), `${VAR:?message}` and `${VAR?message}` (an error),
// `${VAR:+other}` and `${VAR+other}` (other when set), `$$` for a literal `$`, and a default that holds
// variables itself (`${A:-${B}}`). The grammar only: where the values come from is load.ts's business.
// One scan, left to right: a default is read once whether it is used or not, and evaluated only when used.

import type { Yaml } from './merge.ts';

/** A variable's value; undefined when it is not set (which differs from set and empty for `-`, `?` and `+`). */
export type Lookup = (name: string) => string | undefined;

export interface Interpolation {
  readonly lookup: Lookup;
  /** Told each variable that is not set and has no default: it becomes the empty string. */
  readonly unset: (name: string) => void;
  /** Told each variable read, set or not. */
  readonly read?: (name: string) => void;
  /**
   * Keys whose value is a number or true/false (`replicas: ${REPLICAS:-2}`): a value of theirs made by
   * substitution is read as one when it is written as one, as Compose casts them. Other values stay text.
   */
  readonly typedKeys?: ReadonlySet<string>;
}

/** A mistake in a `${...}`, in words, without where it is (the caller knows the file, the line and the key). */
export class InterpolationError extends Error {
  override readonly name = 'InterpolationError';
  constructor(
    message: string,
    /** The key path of the value, in the document `interpolateValues` walked. */
    readonly path: ReadonlyArray<string | number> = [],
  ) {
    super(message);
  }
}

/** Nesting past this is refused: a default of a default of ... is not a program. */
export const MAX_DEPTH = 8;

const OPERATORS = [':-', ':?', ':+', '-', '?', '+'] as const;
type Operator = (typeof OPERATORS)[number];

const isNameStart = (char: string | undefined) =>
  char !== undefined && ((char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z') || char === '_');
const isNameChar = (char: string | undefined) => isNameStart(char) || (char !== undefined && char >= '0' && char <= '9');

/** `text` with its variables substituted. */
export function interpolate(text: string, how: Interpolation): string {
  if (!text.includes('$')) return text;
  return new Scanner(text, how).sequence(true, false, 0);
}

/** A copy of `document` with every string value interpolated; keys are left as they are. */
export function interpolateValues(document: Yaml, how: Interpolation, path: Array<string | number> = []): Yaml {
  if (typeof document === 'string') {
    try {
      const value = interpolate(document, how);
      const key = path[path.length - 1];
      return value !== document && typeof key === 'string' && how.typedKeys?.has(key) ? typed(value) : value;
    } catch (error) {
      if (error instanceof InterpolationError) throw new InterpolationError(error.message, path);
      throw error;
    }
  }
  if (Array.isArray(document)) return document.map((item, index) => interpolateValues(item, how, [...path, index]));
  if (document === null || typeof document !== 'object') return document;
  // No prototype: a key `__proto__` stays a key (and the schema refuses it), as in what the parser gave.
  const copy: Record<string, Yaml> = Object.create(null);
  for (const [key, value] of Object.entries(document)) copy[key] = interpolateValues(value, how, [...path, key]);
  return copy;
}

/** A whole number (no leading zero, as it would be written back) or true/false, as that; anything else as it is. */
function typed(value: string): Yaml {
  if (value === 'true' || value === 'false') return value === 'true';
  const number = Number(value);
  return /^-?(0|[1-9][0-9]{0,14})$/.test(value) && Number.isSafeInteger(number) ? number : value;
}

class Scanner {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly how: Interpolation,
  ) {}

  /**
   * The text from here to its end or, inside `${NAME:-...}`, to the brace that closes it (left for
   * the caller). Variables are looked up only when `evaluate`: an unused default says nothing.
   */
  sequence(evaluate: boolean, inBraces: boolean, depth: number): string {
    const { text } = this;
    let out = '';
    while (this.at < text.length) {
      let end = this.at;
      while (end < text.length && text[end] !== '$' && !(inBraces && text[end] === '}')) end++;
      out += text.slice(this.at, end);
      this.at = end;
      if (end >= text.length || text[end] === '}') break;
      out += this.dollar(evaluate, depth);
    }
    return out;
  }

  /** At a `$`: what it stands for, with the scan moved past it. */
  private dollar(evaluate: boolean, depth: number): string {
    const { text } = this;
    const next = text[this.at + 1];
    if (next === '$') {
      this.at += 2;
      return '$';
    }
    if (next === '{') return this.braced(evaluate, depth);
    if (!isNameStart(next)) {
      // As Compose: a `$` that starts nothing (`$ 5`, `$1`, a trailing `$`) is itself.
      this.at++;
      return '$';
    }
    const start = this.at + 1;
    let end = start;
    while (isNameChar(text[end])) end++;
    this.at = end;
    return evaluate ? this.plain(text.slice(start, end)) : '';
  }

  /** At `${`: a name, then `}` or an operator, a word and `}`. */
  private braced(evaluate: boolean, depth: number): string {
    const { text } = this;
    const start = this.at;
    const nameStart = start + 2;
    let end = nameStart;
    while (isNameChar(text[end])) end++;
    const name = text.slice(nameStart, end);
    const unclosed = () => {
      const shown = text.slice(start, start + 40);
      return new InterpolationError(`${shown}${text.length > start + 40 ? '…' : ''}: "\${" without its "}"`);
    };
    if (end >= text.length) throw unclosed();
    if (name === '' || !isNameStart(name[0])) {
      const closing = text.indexOf('}', start);
      if (closing < 0) throw unclosed();
      throw new InterpolationError(
        `${text.slice(start, closing + 1)}: expected a variable name (a letter or _, then letters, digits or _) after "\${"`,
      );
    }
    if (text[end] === '}') {
      this.at = end + 1;
      return evaluate ? this.plain(name) : '';
    }
    const operator = OPERATORS.find((op) => text.startsWith(op, end));
    if (!operator) {
      const closing = text.indexOf('}', start);
      if (closing < 0) throw unclosed();
      throw new InterpolationError(
        `${text.slice(start, closing + 1)}: expected "}" or one of ${OPERATORS.join(' ')} after the name ${name}`,
      );
    }
    if (depth >= MAX_DEPTH) throw new InterpolationError(`${text.slice(start, start + 40)}…: variables nested deeper than ${MAX_DEPTH}`);
    const value = evaluate ? this.look(name) : undefined;
    const needed = evaluate && wordNeeded(operator, value);
    this.at = end + operator.length;
    const word = this.sequence(needed, true, depth + 1);
    if (this.at >= text.length) throw unclosed();
    this.at++; // the closing brace
    if (!evaluate) return '';
    if (operator.endsWith('?')) {
      if (!needed) return value!;
      const why = value === undefined ? 'is not set' : 'is empty';
      throw new InterpolationError(`${text.slice(start, this.at)}: ${name} ${why}${word === '' ? '' : `: ${word}`}`);
    }
    if (operator.endsWith('+')) return needed ? word : '';
    return needed ? word : value!;
  }

  /** `${NAME}` or `$NAME`: its value, or the empty string and a word to `unset`. */
  private plain(name: string): string {
    const value = this.look(name);
    if (value === undefined) this.how.unset(name);
    return value ?? '';
  }

  private look(name: string): string | undefined {
    this.how.read?.(name);
    return this.how.lookup(name);
  }
}

/** Whether the word after the operator is what the expression gives (for `?`: whether it fails). */
function wordNeeded(operator: Operator, value: string | undefined): boolean {
  switch (operator) {
    case ':-':
    case ':?':
      return value === undefined || value === '';
    case '-':
    case '?':
      return value === undefined;
    case ':+':
      return value !== undefined && value !== '';
    case '+':
      return value !== undefined;
  }
}
