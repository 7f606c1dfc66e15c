// The wire protocol's schemas, field by field: what each request accepts, what it refuses and
// the words of the refusal, which reach people as error replies and CLI errors.

import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from '../../src/protocol/errors.ts';
import { describeIssues } from '../../src/protocol/fields.ts';
import { LineSplitter, LineTooLongError } from '../../src/protocol/framing.ts';
import {
  isRequestOp,
  listReplySchema,
  provideReplySchema,
  pushSchema,
  type RequestOp,
  replyPartSchema,
  replySchema,
  requestSchemas,
  welcomeSchema,
} from '../../src/protocol/messages.ts';

/** The reply text for a request, or its parsed form when it is accepted. */
function check(op: RequestOp, fields: Record<string, unknown>): { ok: true; output: unknown } | { ok: false; message: string } {
  const parsed = v.safeParse(requestSchemas[op], { op, ...fields });
  return parsed.success ? { ok: true, output: parsed.output } : { ok: false, message: describeIssues(parsed.issues) };
}

const provide = { id: 1, name: 'mysql.db.blog.prod', host: '10.0.0.5', port: 3306 };
const attrs = (n: number, value = 'v') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));

describe('requests accepted', () => {
  it('fill in defaults and canonical names', () => {
    expect(check('provide', { ...provide, name: 'MySQL.DB.blog' })).toEqual({
      ok: true,
      output: { op: 'provide', id: 1, name: 'mysql.db.blog.default', host: '10.0.0.5', port: 3306, protocol: 'tcp', attrs: {} },
    });
    expect(check('require', { id: 1, name: 'a.b.c' })).toEqual({
      ok: true,
      output: { op: 'require', id: 1, name: 'a.b.c.default', attrs: {} },
    });
  });

  it.each([
    ['hello', { id: 0, version: 1, session: 'a'.repeat(64), client: 'c'.repeat(128) }],
    ['provide', { ...provide, host: '::1' }],
    ['provide', { ...provide, host: 'db-1.example.com.' }],
    ['provide', { ...provide, host: `${'a'.repeat(63)}.b` }],
    ['provide', { ...provide, port: 1, protocol: 'udp' }],
    ['provide', { ...provide, port: 65535, key: 'k_1-A' }],
    ['provide', { ...provide, attrs: attrs(32, 'x'.repeat(190)) }],
    // "az=" and 252 bytes: 255, what a DNS TXT string holds, exactly.
    ['provide', { ...provide, attrs: { az: 'x'.repeat(252) } }],
    ['provide', { ...provide, attrs: { az: '☃'.repeat(84) } }],
    ['provide', { ...provide, attrs: { [`a${'b'.repeat(62)}`]: 'line one; tab-free' } }],
    ['unprovide', { id: 1, provision: 'p1' }],
    ['unprovide', { id: 1, key: 'k' }],
    ['unrequire', { id: 1, sub: 'r1' }],
    ['unrequire', { id: 1, key: 'k' }],
    ['list', { id: 1, limit: 1, after: 'c'.repeat(512) }],
    ['list', { id: Number.MAX_SAFE_INTEGER, limit: 1000, name: 'a.b.c' }],
    ['ack', { sub: 'r1', seq: 0 }],
    ['ping', {}],
    ['pong', {}],
    ['bye', { id: 9 }],
  ] as const)('%s %j', (op, fields) => {
    expect(check(op, fields)).toMatchObject({ ok: true });
  });
});

describe('requests refused, with the reason', () => {
  it.each([
    ['hello', { id: 'x', version: 1 }, 'id: expected "id" to be a number'],
    ['hello', { id: 1.5, version: 1 }, 'id: expected "id" to be a whole number'],
    ['hello', { id: -1, version: 1 }, 'id: expected "id" to be 0 or more'],
    ['hello', { id: 1, version: 1.5 }, 'version: '],
    ['hello', { id: 1, version: 1, session: 'no spaces' }, 'session: expected an identifier'],
    ['hello', { id: 1, version: 1, session: 'a'.repeat(65) }, 'session: expected an identifier'],
    ['hello', { id: 1, version: 1, session: '' }, 'session: expected an identifier'],
    ['hello', { id: 1, version: 1, client: 'c'.repeat(129) }, 'client: '],
    ['hello', { id: 1, version: 1, sesion: 'x' }, 'sesion: '],
    ['provide', { ...provide, name: 7 }, 'name: expected a name like "mysql.db.blog.prod"'],
    ['provide', { ...provide, name: 'my_sql.db.blog' }, 'name: endpoint "my_sql" must be letters, digits and inner hyphens'],
    ['provide', { ...provide, host: 7 }, 'host: expected a host name or IP address'],
    ['provide', { ...provide, host: 'bad host' }, 'host: expected a host name or IP address like "10.0.0.5"'],
    ['provide', { ...provide, host: '-a.b' }, 'host: expected a host name or IP address like'],
    ['provide', { ...provide, host: 'a-.b' }, 'host: expected a host name or IP address like'],
    ['provide', { ...provide, host: `${'a'.repeat(64)}.b` }, 'host: expected a host name or IP address like'],
    ['provide', { ...provide, host: Array.from({ length: 64 }, () => 'abc').join('.') }, 'host: expected a host name or IP address like'],
    ['provide', { ...provide, port: '80' }, 'port: expected a port number'],
    ['provide', { ...provide, port: 80.5 }, 'port: expected a whole port number'],
    ['provide', { ...provide, port: 0 }, 'port: expected a port from 1 to 65535'],
    ['provide', { ...provide, port: 65536 }, 'port: expected a port from 1 to 65535'],
    ['provide', { ...provide, protocol: 'sctp' }, 'protocol: expected "tcp" or "udp"'],
    ['provide', { ...provide, attrs: 'az=a' }, 'attrs: expected an object of attribute strings like {"az": "us-east-1a"}'],
    ['provide', { ...provide, attrs: { az: 1 } }, 'attrs.az: expected a string value'],
    [
      'provide',
      { ...provide, attrs: { '-az': 'a' } },
      'attrs.-az: expected an attribute key of letters, digits, ".", "_" or "-" (at most 63)',
    ],
    ['provide', { ...provide, attrs: { [`a${'b'.repeat(63)}`]: 'a' } }, `attrs.a${'b'.repeat(63)}: expected an attribute key of letters`],
    [
      'provide',
      { ...provide, attrs: { az: 'x'.repeat(253) } },
      'attrs: attribute "az" is 256 bytes as "key=value" in UTF-8; a DNS TXT string holds at most 255',
    ],
    ['provide', { ...provide, attrs: { az: 'a\nb' } }, 'attrs.az: expected no control characters'],
    ['provide', { ...provide, attrs: { az: 'a\u007f' } }, 'attrs.az: expected no control characters'],
    ['provide', { ...provide, attrs: { az: '\u0000' } }, 'attrs.az: expected no control characters'],
    ['provide', { ...provide, attrs: attrs(33) }, 'attrs: expected at most 32 attributes'],
    ['provide', { ...provide, key: 'a b' }, 'key: expected an identifier'],
    ['unprovide', { id: 1 }, 'expected exactly one of "provision" and "key"'],
    ['unprovide', { id: 1, provision: 'p1', key: 'k' }, 'expected exactly one of "provision" and "key"'],
    ['unrequire', { id: 1 }, 'expected exactly one of "sub" and "key"'],
    ['unrequire', { id: 1, sub: 'r1', key: 'k' }, 'expected exactly one of "sub" and "key"'],
    ['list', { id: 1, limit: 0 }, 'limit: '],
    ['list', { id: 1, limit: 1001 }, 'limit: '],
    ['list', { id: 1, limit: 1.5 }, 'limit: '],
    ['list', { id: 1, after: 'c'.repeat(513) }, 'after: expected a cursor from a "next" field'],
    ['ack', { sub: 'r1', seq: -1 }, 'seq: '],
    ['ack', { sub: 'r1', seq: 0.5 }, 'seq: '],
    ['ack', { seq: 1 }, 'sub: '],
    ['ping', { id: 1 }, 'id: '],
    ['bye', {}, 'id: '],
  ] as const)('%s %j', (op, fields, message) => {
    const result = check(op, fields);
    expect(result.ok).toBe(false);
    expect((result as { message: string }).message.startsWith(message), (result as { message: string }).message).toBe(true);
  });

  it('describes a refusal without a path by its message alone, and no issues as invalid input', () => {
    const parsed = v.safeParse(requestSchemas.ping, 'ping');
    expect(parsed.success).toBe(false);
    expect(describeIssues(parsed.issues!)).not.toMatch(/^[^ ]*: /);
    expect(describeIssues([])).toBe('invalid input');
  });
});

describe('a request that is not an object', () => {
  it('is refused as such, by every request schema', () => {
    for (const [op, schema] of Object.entries(requestSchemas)) {
      const parsed = v.safeParse(schema, 'provide mysql');
      expect(parsed.success, op).toBe(false);
      expect(describeIssues(parsed.issues!), op).toBe('expected a JSON object');
    }
  });
});

describe('ops', () => {
  it('knows exactly the request ops, and no inherited names', () => {
    for (const op of ['hello', 'provide', 'unprovide', 'require', 'unrequire', 'list', 'bye', 'ping', 'pong', 'ack'])
      expect(isRequestOp(op), op).toBe(true);
    for (const op of ['toString', 'constructor', 'changed', 'shutdown', 'HELLO', '', 7, undefined, ['hello'], { toString: () => 'ping' }]) {
      expect(isRequestOp(op), JSON.stringify(op)).toBe(false);
    }
  });
});

describe('server messages', () => {
  const endpoint = { id: 'p1', name: 'a.b.c.default', host: 'h', port: 1, protocol: 'tcp', attrs: {} };

  it('reads pushes by op, each against its own schema', () => {
    expect(v.is(pushSchema, { op: 'changed', sub: 'r1', seq: 1, add: [endpoint], drop: [], more: true })).toBe(true);
    expect(v.is(pushSchema, { op: 'resync', sub: 'r1', seq: 2, endpoints: [endpoint] })).toBe(true);
    expect(v.is(pushSchema, { op: 'shutdown', reason: 'bye' })).toBe(true);
    expect(v.is(pushSchema, { op: 'ping' })).toBe(true);
    expect(v.is(pushSchema, { op: 'pong' })).toBe(true);
    expect(v.is(pushSchema, { op: 'resync', sub: 'r1', seq: 2 })).toBe(false);
    expect(v.is(pushSchema, { op: 'changed', sub: 'r1', seq: 1, add: [{ ...endpoint, protocol: 'sctp' }], drop: [] })).toBe(false);
    expect(v.is(pushSchema, { op: 'changed', sub: 'r1', seq: -1, add: [], drop: [] })).toBe(false);
    expect(v.is(pushSchema, { op: 'shutdown' })).toBe(false);
    expect(v.is(pushSchema, { op: 'hello' })).toBe(false);
  });

  it('reads replies by ok', () => {
    expect(v.is(replySchema, { re: 1, ok: true })).toBe(true);
    expect(v.is(replySchema, { re: null, ok: false, error: { code: 'parse_error', message: 'm' } })).toBe(true);
    expect(v.is(replySchema, { re: 1, ok: false })).toBe(false);
    expect(v.is(replySchema, { re: 1, ok: false, error: {} })).toBe(false);
    expect(v.is(replySchema, { re: 1, ok: false, error: { code: 'x' } })).toBe(false);
  });

  it('reads the fields of each reply', () => {
    const welcome = { session: 's', resumed: false, version: 1, heartbeat: { interval: 1, timeout: 2 }, grace: 3 };
    expect(v.is(welcomeSchema, welcome)).toBe(true);
    expect(v.is(welcomeSchema, { ...welcome, heartbeat: { interval: 1 } })).toBe(false);
    expect(v.is(provideReplySchema, { provision: 'p1' })).toBe(true);
    expect(v.is(provideReplySchema, {})).toBe(false);
    expect(v.is(replyPartSchema, { endpoints: [endpoint], more: true })).toBe(true);
    expect(v.is(replyPartSchema, {})).toBe(false);
    expect(v.is(listReplySchema, { endpoints: [], next: 'c' })).toBe(true);
    expect(v.is(listReplySchema, { next: 'c' })).toBe(false);
    expect(v.is(listReplySchema, { endpoints: [], next: 7 })).toBe(false);
  });
});

describe('framing', () => {
  it('splits many short lines in one chunk, however long the chunk', () => {
    const splitter = new LineSplitter(100);
    const lines = Array.from({ length: 50 }, (_, i) => `line ${String(i).padStart(3, '0')}`);
    expect(splitter.push(Buffer.from(lines.map((line) => `${line}\n`).join('')))).toEqual(lines);
  });

  it('joins a line that comes in several chunks, twice in a row', () => {
    const splitter = new LineSplitter(100);
    expect(splitter.push(Buffer.from('ab'))).toEqual([]);
    expect(splitter.push(Buffer.from('c\nde'))).toEqual(['abc']);
    expect(splitter.push(Buffer.from('f'))).toEqual([]);
    expect(splitter.push(Buffer.from('g\r\nh\n'))).toEqual(['defg', 'h']);
  });
});

describe('errors', () => {
  it('are named, with their limit or code', () => {
    const long = new LineTooLongError(10);
    expect([long.name, long.message, long.limit]).toEqual(['LineTooLongError', 'line longer than 10 bytes', 10]);
    const protocol = new ProtocolError(ErrorCode.notFound, 'no such thing');
    expect([protocol.name, protocol.code, protocol.message]).toEqual(['ProtocolError', 'not_found', 'no such thing']);
  });
});

describe('error codes', () => {
  it('are distinct, and every code docs/protocol.md lists is one', () => {
    const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` +\|/gm)].map((m) => m[1]!);
    const codes: string[] = Object.values(ErrorCode);
    expect(documented.length).toBeGreaterThan(5);
    for (const code of documented) expect(codes).toContain(code);
    for (const code of codes) expect(documented, `${code} is not in docs/protocol.md`).toContain(code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });
});
