// Field schemas shared by the wire protocol, the CLI and manifests, so an address or an
// attribute is checked the same way wherever it enters.

import { isIP } from 'node:net';
import * as v from 'valibot';
import { canonicalName, canonicalPattern, nameProblem, patternProblem } from '../names.ts';

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const ATTRIBUTE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
// Attributes become DNS TXT strings of `key=value`, which hold at most 255 bytes (not characters).
const MAX_TXT_STRING_BYTES = 255;
export const MAX_ATTRIBUTES = 32;

export const NameSchema = v.pipe(
  v.string('expected a name like "mysql.db.blog.prod"'),
  v.rawCheck(({ dataset, addIssue }) => {
    // Stryker disable next-line ConditionalExpression: a value that is not a string has its type issue first, and replies and CLI errors show only the first
    if (!dataset.typed) return;
    const problem = nameProblem(dataset.value);
    if (problem) addIssue({ message: problem });
  }),
  v.transform(canonicalName),
);

/** A name in which any whole label may be `*` (`*.*.hello.dev`): what `require` and `list` take. */
export const PatternSchema = v.pipe(
  v.string('expected a name like "mysql.db.blog.prod" or a pattern like "*.*.blog.prod"'),
  v.rawCheck(({ dataset, addIssue }) => {
    // Stryker disable next-line ConditionalExpression: a value that is not a string has its type issue first, and replies and CLI errors show only the first
    if (!dataset.typed) return;
    const problem = patternProblem(dataset.value);
    if (problem) addIssue({ message: problem });
  }),
  v.transform(canonicalPattern),
);

/** A service's name, `service.stack.environment` (an endpoint's name without its endpoint label). */
export const ServiceNameSchema = v.pipe(
  v.string('expected a service name like "db.blog.prod"'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = dataset.value.split('.').length === 3 ? nameProblem(`x.${dataset.value}`) : undefined;
    if (problem !== undefined || dataset.value.split('.').length !== 3)
      addIssue({ message: `expected a service name like "db.blog.prod" (service.stack.environment)` });
  }),
  v.transform((name) => name.toLowerCase()),
);

/**
 * A name whose last label is a number is no DNS name (RFC 3696 §2): resolvers read `1.2.3`,
 * `10.0.0.01` or `0x7f.1` as an IPv4 address, in their own way, so it is refused rather than
 * guessed at. A real IPv4 address is taken by isIP first, which refuses octets with leading zeros.
 */
const NUMERIC_LAST_LABEL = /(^|\.)(\d+|0x[0-9a-f]*)\.?$/i;

/**
 * Whether `host` may be an endpoint's host: an IP address or a DNS name, and nothing else. The one
 * rule for the wire, the client, the agent and the etcd store, wherever an endpoint comes in.
 */
export function isEndpointHost(host: string): boolean {
  return isIP(host) !== 0 || (HOSTNAME.test(host) && !NUMERIC_LAST_LABEL.test(host));
}

export const HostSchema = v.pipe(
  v.string('expected a host name or IP address'),
  v.check(isEndpointHost, 'expected a host name or IP address like "10.0.0.5"'),
);

export const PortSchema = v.pipe(
  v.number('expected a port number'),
  v.integer('expected a whole port number'),
  v.minValue(1, 'expected a port from 1 to 65535'),
  v.maxValue(65535, 'expected a port from 1 to 65535'),
);

export const ProtocolSchema = v.picklist(['tcp', 'udp'], 'expected "tcp" or "udp"');

const AttributeKeySchema = v.pipe(
  v.string('expected an attribute key'),
  v.regex(ATTRIBUTE_KEY, 'expected an attribute key of letters, digits, ".", "_" or "-" (at most 63)'),
);

const ATTRIBUTES_EXPECTED = 'expected an object of attribute strings like {"az": "us-east-1a"}';

/** Always fails with `message`: what strictRecord answers in the record's stead. */
const refusal = (message: string) =>
  v.pipe(
    v.unknown(),
    // Stryker disable next-line ArrowFunction: undefined is as falsy as false: the check fails the same way, with the same message
    v.check(() => false, message),
  );
const RESERVED_KEYS = new Map(
  ['__proto__', 'constructor', 'prototype'].map((key) => [key, refusal(`attribute key "${key}" is reserved; choose another name`)]),
);
const NOT_AN_OBJECT = refusal(ATTRIBUTES_EXPECTED);

/**
 * valibot's record, except that it refuses what the record lets through without a word: the keys
 * `__proto__`, `constructor` and `prototype` (skipped, so a filter on them vanished) and arrays
 * (taken for an empty object). It stays a record to everything that reads schemas, such as the
 * JSON Schema of the manifests.
 */
function strictRecord<R extends v.GenericSchema>(record: R): R {
  return {
    ...record,
    '~run'(dataset: v.UnknownDataset, config: v.Config<v.BaseIssue<unknown>>) {
      const input = dataset.value;
      if (Array.isArray(input)) return NOT_AN_OBJECT['~run'](dataset, config);
      if (typeof input === 'object' && input !== null) {
        for (const [key, refused] of RESERVED_KEYS) if (Object.hasOwn(input, key)) return refused['~run'](dataset, config);
      }
      return record['~run'](dataset, config);
    },
  } as R;
}

export const AttributesSchema = v.pipe(
  strictRecord(
    v.record(
      AttributeKeySchema,
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse control characters
      v.pipe(v.string('expected a string value'), v.regex(/^[^\u0000-\u001f\u007f]*$/, 'expected no control characters')),
      ATTRIBUTES_EXPECTED,
    ),
  ),
  v.maxEntries(MAX_ATTRIBUTES, `expected at most ${MAX_ATTRIBUTES} attributes`),
  v.rawCheck(({ dataset, addIssue }) => {
    // A refusal by strictRecord leaves the input as it came: nothing here is known to be a string.
    if (!dataset.typed || dataset.issues) return;
    for (const [key, value] of Object.entries(dataset.value)) {
      const bytes = Buffer.byteLength(key) + 1 + Buffer.byteLength(value);
      if (bytes > MAX_TXT_STRING_BYTES) {
        addIssue({
          message: `attribute "${key}" is ${bytes} bytes as "key=value" in UTF-8; a DNS TXT string holds at most ${MAX_TXT_STRING_BYTES}`,
        });
        return;
      }
    }
  }),
);

/** valibot's own wording ("Invalid type: Expected string but received 5"), left by a schema without a message of ours. */
const VALIBOT_WORDING = /^Invalid [^:]+: (Expected|Received) /;

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  tuple: 'a list',
  object: 'an object',
  loose_object: 'an object',
  strict_object: 'an object',
  record: 'an object',
};

/** scs's one sentence for an issue that still carries valibot's wording. */
function plainMessage(issue: v.BaseIssue<unknown>): string {
  const { type, requirement, expected } = issue;
  // An object's key missing, or one it does not have, is told by what was expected at the key.
  if (issue.message.startsWith('Invalid key:')) return expected === 'never' ? 'unknown field' : 'missing field';
  const word = TYPE_WORDS[type];
  if (word) return `expected ${word}`;
  switch (type) {
    case 'integer':
    case 'safe_integer':
      return 'expected a whole number';
    case 'min_value':
      return `expected ${String(requirement)} or more`;
    case 'max_value':
      return `expected ${String(requirement)} or less`;
    case 'min_length':
      return `expected a length of at least ${String(requirement)}`;
    case 'max_length':
      return `expected a length of at most ${String(requirement)}`;
    case 'url':
      return 'expected a URL';
    default: {
      if (!expected) return 'expected a valid value';
      // `("a" | "b")` or `(string | number)`: each choice in words, joined by "or".
      const choices = expected
        .replace(/^\((.*)\)$/, '$1')
        .split(' | ')
        .map((choice) => TYPE_WORDS[choice.toLowerCase()] ?? choice);
      const last = choices.pop()!;
      return `expected ${choices.length > 0 ? `${choices.join(', ')} or ${last}` : last}`;
    }
  }
}

/** An issue's message in scs's words, whether or not its schema gave one. */
export function issueMessage(issue: v.BaseIssue<unknown>): string {
  return VALIBOT_WORDING.test(issue.message) ? plainMessage(issue) : issue.message;
}

/** Formats the first issue of a failed parse as `path: message`, for error replies and CLI errors. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (!issue) return 'invalid input';
  const path = v.getDotPath(issue);
  const message = issueMessage(issue);
  return path ? `${path}: ${message}` : message;
}
