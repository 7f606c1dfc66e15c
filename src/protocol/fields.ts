// Field schemas shared by the wire protocol, the CLI and manifests, so an address or an
// attribute is checked the same way wherever it enters.

import { isIP } from 'node:net';
import * as v from 'valibot';
import { canonicalName, nameProblem } from '../names.ts';

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const ATTRIBUTE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
// Attributes become DNS TXT strings of `key=value`, which hold at most 255 bytes (not characters).
const MAX_TXT_STRING_BYTES = 255;
export const MAX_ATTRIBUTES = 32;

export const NameSchema = v.pipe(
  v.string('expected a name like "mysql.db.blog.prod"'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = nameProblem(dataset.value);
    if (problem) addIssue({ message: problem });
  }),
  v.transform(canonicalName),
);

export const HostSchema = v.pipe(
  v.string('expected a host name or IP address'),
  v.check(
    (host) => isIP(host) !== 0 || HOSTNAME.test(host),
    'expected a host name or IP address like "10.0.0.5"',
  ),
);

export const PortSchema = v.pipe(
  v.number('expected a port number'),
  v.integer('expected a whole port number'),
  v.minValue(1, 'expected a port from 1 to 65535'),
  v.maxValue(65535, 'expected a port from 1 to 65535'),
);

export const ProtocolSchema = v.picklist(['tcp', 'udp'], 'expected "tcp" or "udp"');

const AttributeKeySchema = v.pipe(
  v.string(),
  v.regex(ATTRIBUTE_KEY, 'expected an attribute key of letters, digits, ".", "_" or "-" (at most 63)'),
);

/** Keys that name an object's prototype machinery: valibot's record would skip them silently. */
const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'];

function reservedKey(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  return RESERVED_KEYS.find((key) => Object.hasOwn(input, key));
}

export const AttributesSchema = v.pipe(
  v.unknown(),
  v.rawCheck(({ dataset, addIssue }) => {
    // valibot's record takes an array for an empty object.
    if (Array.isArray(dataset.value)) addIssue({ message: 'expected an object of attribute strings like {"az": "us-east-1a"}' });
    const key = reservedKey(dataset.value);
    if (key !== undefined) addIssue({ message: `attribute key "${key}" is reserved; choose another name` });
  }),
  v.record(
    AttributeKeySchema,
    v.pipe(v.string('expected a string value'), v.regex(/^[^\u0000-\u001f\u007f]*$/, 'expected no control characters')),
    'expected an object of attribute strings like {"az": "us-east-1a"}',
  ),
  v.maxEntries(MAX_ATTRIBUTES, `expected at most ${MAX_ATTRIBUTES} attributes`),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const [key, value] of Object.entries(dataset.value)) {
      const bytes = Buffer.byteLength(key) + 1 + Buffer.byteLength(value);
      if (bytes > MAX_TXT_STRING_BYTES) {
        addIssue({ message: `attribute "${key}" is ${bytes} bytes as "key=value" in UTF-8; a DNS TXT string holds at most ${MAX_TXT_STRING_BYTES}` });
        return;
      }
    }
  }),
);

/** Formats the first issue of a failed parse as `path: message`, for error replies and CLI errors. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (!issue) return 'invalid input';
  const path = v.getDotPath(issue);
  return path ? `${path}: ${issue.message}` : issue.message;
}
