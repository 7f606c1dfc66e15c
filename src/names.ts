// Endpoint names: endpoint.service.stack.environment, most specific first.
// One grammar for the CLI, manifests, the wire protocol and DNS.

export interface EndpointName {
  readonly endpoint: string;
  readonly service: string;
  readonly stack: string;
  readonly environment: string;
}

export const DEFAULT_ENVIRONMENT = 'default';

/** In a pattern, a whole label that matches any label. */
export const WILDCARD = '*';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export class NameError extends Error {
  override readonly name = 'NameError';
}

export function isLabel(label: string): boolean {
  return LABEL.test(label);
}

/** Checks one label; the message says which part of the name was wrong and why. */
export function checkLabel(label: string, what: string): string {
  const lower = label.toLowerCase();
  if (lower.length === 0) throw new NameError(`${what} is empty`);
  if (lower.length > 63) throw new NameError(`${what} "${label}" is longer than 63 characters`);
  if (!LABEL.test(lower)) {
    throw new NameError(`${what} "${label}" must be letters, digits and inner hyphens (like "db" or "us-east-1")`);
  }
  return lower;
}

/** Splits a name or pattern into its four labels, the environment defaulting; a trailing dot is allowed. */
function splitLabels(input: string, example: string): [string, string, string, string?] {
  const text = input.endsWith('.') ? input.slice(0, -1) : input;
  const labels = text.split('.');
  if (labels.length < 3 || labels.length > 4) {
    throw new NameError(`"${input}" is not a name like "${example}" (endpoint.service.stack[.environment])`);
  }
  return labels as [string, string, string, string?];
}

/** A label that must name one thing: a wildcard here gets its own message, not the label rule's. */
function checkExactLabel(label: string, what: string): string {
  if (label === WILDCARD) throw new NameError(`${what} "*" is a wildcard, which only a requirement may use; this needs an exact name`);
  return checkLabel(label, what);
}

/**
 * Parses `endpoint.service.stack[.environment]`, case-insensitively; a trailing dot is allowed
 * so that names copied from DNS work too.
 */
export function parseName(input: string): EndpointName {
  const [endpoint, service, stack, environment] = splitLabels(input, 'mysql.db.blog.prod');
  return {
    endpoint: checkExactLabel(endpoint, 'endpoint'),
    service: checkExactLabel(service, 'service'),
    stack: checkExactLabel(stack, 'stack'),
    environment: environment === undefined ? DEFAULT_ENVIRONMENT : checkExactLabel(environment, 'environment'),
  };
}

/** Returns an error message, or undefined when the name is valid: for validators. */
export function nameProblem(input: string): string | undefined {
  return problemOf(() => parseName(input));
}

export function formatName(name: EndpointName | NamePattern): string {
  return `${name.endpoint}.${name.service}.${name.stack}.${name.environment}`;
}

/** The canonical, fully qualified form of a name given as text. */
export function canonicalName(input: string): string {
  return formatName(parseName(input));
}

/** `mysql-main` → `MYSQL_MAIN`, the form used in `SCS_REQUIRE_<ENDPOINT>`. */
export function envKey(endpoint: string): string {
  return endpoint.toUpperCase().replaceAll('-', '_');
}

// Patterns: what a requirement (and `list`) may name. Any whole label may be `*`, which matches
// every value of that label: `*.web.hello.dev`, `*.*.hello.dev`, `*.*.*.*`. A `*` inside a label
// (`my*`) is refused, so that a pattern is answered by exact lookups of its literal labels.

/** Four labels, each a label or `*`. An `EndpointName` is a pattern without wildcards. */
export type NamePattern = EndpointName;

function checkPatternLabel(label: string, what: string): string {
  if (label === WILDCARD) return WILDCARD;
  if (label.includes(WILDCARD)) {
    throw new NameError(`${what} "${label}" mixes "*" with other characters; a "*" must stand alone for a whole label`);
  }
  return checkLabel(label, what);
}

/** Parses a name in which any whole label may be `*`; a missing environment is still `default`. */
export function parsePattern(input: string): NamePattern {
  const [endpoint, service, stack, environment] = splitLabels(input, '*.web.hello.dev');
  return {
    endpoint: checkPatternLabel(endpoint, 'endpoint'),
    service: checkPatternLabel(service, 'service'),
    stack: checkPatternLabel(stack, 'stack'),
    environment: environment === undefined ? DEFAULT_ENVIRONMENT : checkPatternLabel(environment, 'environment'),
  };
}

/** Returns an error message, or undefined when the pattern is valid: for validators. */
export function patternProblem(input: string): string | undefined {
  return problemOf(() => parsePattern(input));
}

/** The canonical, fully qualified form of a pattern given as text. */
export function canonicalPattern(input: string): string {
  return formatName(parsePattern(input));
}

/** Whether a canonical name or pattern (as text) has a wildcard label. */
export function hasWildcard(text: string): boolean {
  // Stryker disable next-line StringLiteral: asked only of canonical names and patterns, so a '*' character is found exactly when a '*' label is
  return text.split('.').includes(WILDCARD);
}

/** A pattern's shape: which of its labels are `*`, as bits, the endpoint label first (`*.*.hello.dev` is 0b0011). */
export function patternShape(pattern: string): number {
  let shape = 0;
  pattern.split('.').forEach((label, at) => {
    if (label === WILDCARD) shape |= 1 << at;
  });
  return shape;
}

/**
 * The one pattern of a given shape that matches a name, from the name's labels. A registry builds
 * these for the shapes its requirements use, and looks them up, rather than testing every pattern.
 */
export function patternFor(labels: readonly string[], shape: number): string {
  let pattern = '';
  for (let at = 0; at < labels.length; at++) {
    if (at > 0) pattern += '.';
    pattern += shape & (1 << at) ? WILDCARD : labels[at];
  }
  return pattern;
}

function problemOf(parse: () => unknown): string | undefined {
  try {
    parse();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
