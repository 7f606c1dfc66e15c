// Issue 26, the wire's low points: hosts that are neither an IP address nor a DNS name, text that
// is not UTF-8 or holds a lone surrogate, and error texts in valibot's words rather than scs's.

import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { describeIssues, isEndpointHost } from '../../src/protocol/fields.ts';
import { LineSplitter, NOT_UTF8 } from '../../src/protocol/framing.ts';
import { parseRequest } from '../../src/server/request-line.ts';

const provide = (host: string) => parseRequest(JSON.stringify({ op: 'provide', id: 1, name: 'db.data.shop', host, port: 5432 })).request;

describe('endpoint hosts', () => {
  it('takes IP addresses and DNS names', () => {
    for (const host of ['10.0.0.5', '::1', 'fe80::1%eth0', 'db', 'db-1.example.com', 'db.example.com.', '1st.example', 'x.0a']) {
      expect(isEndpointHost(host), host).toBe(true);
      expect(provide(host), host).not.toBeInstanceOf(ProtocolError);
    }
  });

  it('refuses numeric names that are not IPv4 addresses, and octets with leading zeros', () => {
    for (const host of [
      '1.2.3',
      '10.0.0.01',
      '010.0.0.1',
      '1.2.3.4.5',
      '256.1.1.1',
      '123',
      'db.123',
      '0x7f.1',
      '0x7f000001',
      '10.0.0.1.',
    ]) {
      expect(isEndpointHost(host), host).toBe(false);
      expect(provide(host), host).toMatchObject({
        code: 'bad_request',
        message: 'host: expected a host name or IP address like "10.0.0.5"',
      });
    }
  });

  it('refuses quotes, newlines and spaces', () => {
    for (const host of ['db"\nX=1', 'a b', "db'", 'db\n', '']) expect(isEndpointHost(host), JSON.stringify(host)).toBe(false);
  });
});

describe('text that is not UTF-8', () => {
  const bytes = (...parts: Array<string | number[]>) =>
    Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));

  it('comes out of the splitter as NOT_UTF8, the lines around it whole', () => {
    const splitter = new LineSplitter();
    const invalid = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]];
    const lines = splitter.read(bytes('{"a":"é"}\n', ...invalid.flatMap((sequence) => [sequence, '\n']), '{"b":"😀"}\r\n'));
    expect(lines).toEqual(['{"a":"é"}', NOT_UTF8, NOT_UTF8, NOT_UTF8, NOT_UTF8, '{"b":"😀"}']);
  });

  it('is refused by request parsing with one clear error', () => {
    expect(parseRequest(NOT_UTF8).request).toMatchObject({ code: 'parse_error', message: 'line is not valid UTF-8' });
  });

  it('refuses a lone surrogate escape, in a value or a key, and takes a pair', () => {
    const lone = { code: 'parse_error', message: 'line holds a lone UTF-16 surrogate escape, which is not a character' };
    const line = (attrs: string) => `{"op":"provide","id":1,"name":"db.data.shop","host":"10.0.0.1","port":1,"attrs":${attrs}}`;
    expect(parseRequest(line('{"az":"\\ud800"}')).request).toMatchObject(lone);
    expect(parseRequest(line('{"az":"x\\udc00"}')).request).toMatchObject(lone);
    expect(parseRequest(line('{"\\ud83dz":"x"}')).request).toMatchObject(lone);
    expect(parseRequest(line('{"az":"\\ud83d\\ude00"}')).request).toMatchObject({ attrs: { az: '😀' } });
  });
});

describe("error texts in scs's words", () => {
  const requests: Record<string, Record<string, unknown>> = {
    hello: { op: 'hello', id: 1, version: 1, session: 'abc', client: 'x', token: 't' },
    provide: { op: 'provide', id: 1, name: 'a.b.c', host: 'h', port: 1, protocol: 'tcp', attrs: {}, key: 'k' },
    unprovide: { op: 'unprovide', id: 1, provision: 'p' },
    require: { op: 'require', id: 1, name: 'a.b.c', attrs: {}, key: 'k' },
    unrequire: { op: 'unrequire', id: 1, sub: 's' },
    list: { op: 'list', id: 1, name: 'a.b.c', after: 'x', limit: 5 },
    bye: { op: 'bye', id: 1 },
    ack: { op: 'ack', sub: 's', seq: 1 },
  };
  const wrong = [123, 'x', -1, 1.5, 'x'.repeat(2000), '', null, [], {}, true, 2 ** 60, { 'bad key!': 'v' }];

  it('answers every wrong field of every request in scs words, never valibot wording', () => {
    let refused = 0;
    for (const [op, request] of Object.entries(requests)) {
      for (const field of Object.keys(request).filter((key) => key !== 'op')) {
        for (const value of wrong) {
          const { request: outcome } = parseRequest(JSON.stringify({ ...request, [field]: value }));
          if (!(outcome instanceof ProtocolError)) continue;
          refused++;
          expect(outcome.message, `${op}.${field} = ${JSON.stringify(value).slice(0, 20)}`).not.toMatch(/Invalid \w+|Expected |received /);
        }
      }
    }
    expect(refused).toBeGreaterThan(200);
  });

  it("puts any schema's default wording in scs's words", () => {
    const say = (schema: v.GenericSchema, input: unknown) => {
      const parsed = v.safeParse(schema, input);
      return parsed.success ? 'ok' : describeIssues(parsed.issues);
    };
    expect(say(v.object({ retries: v.pipe(v.number(), v.integer(), v.minValue(1)) }), { retries: 'x' })).toBe('retries: expected a number');
    expect(say(v.pipe(v.number(), v.integer(), v.minValue(1)), 0)).toBe('expected 1 or more');
    expect(say(v.pipe(v.number(), v.integer()), 1.5)).toBe('expected a whole number');
    expect(say(v.union([v.string(), v.number()]), true)).toBe('expected a string or a number');
    expect(say(v.picklist(['tcp', 'udp']), 'sctp')).toBe('expected "tcp" or "udp"');
    expect(say(v.pipe(v.array(v.string()), v.minLength(1)), [])).toBe('expected a length of at least 1');
    expect(say(v.object({ heartbeat: v.number() }), {})).toBe('heartbeat: missing field');
    expect(say(v.strictObject({}), { colour: 'red' })).toBe('colour: unknown field');
    // A message of our own is kept as it is.
    expect(say(v.string('expected a name'), 5)).toBe('expected a name');
  });
});

describe('acks, read without JSON.parse when written as clients write them', () => {
  /** The same line with a space after its brace: equal JSON, but only the general path reads it. */
  const spaced = (line: string) => `{ ${line.slice(1)}`;
  const outcome = (parsed: ReturnType<typeof parseRequest>) =>
    parsed.request instanceof ProtocolError ? { id: parsed.id, code: parsed.request.code, message: parsed.request.message } : parsed;

  it('gives what the schema gives for every ack, and for every line that only looks like one', () => {
    const lines = [
      '{"op":"ack","sub":"r1","seq":0}',
      '{"op":"ack","sub":"r1","seq":7}',
      `{"op":"ack","sub":"${'a'.repeat(64)}","seq":${'9'.repeat(15)}}`,
      `{"op":"ack","sub":"${'a'.repeat(65)}","seq":1}`,
      '{"op":"ack","sub":"r1","seq":9007199254740991}',
      '{"op":"ack","sub":"r1","seq":9007199254740993}',
      '{"op":"ack","sub":"r1","seq":01}',
      '{"op":"ack","sub":"r1","seq":-1}',
      '{"op":"ack","sub":"r1","seq":1.5}',
      '{"op":"ack","sub":"r1","seq":1e3}',
      '{"op":"ack","sub":"r 1","seq":1}',
      '{"op":"ack","sub":"","seq":1}',
      '{"op":"ack","sub":"\\u0072\\u0031","seq":1}',
      '{"op":"ack","sub":"r1","seq":1,"id":3}',
      '{"op":"ack","sub":"r1","seq":1}x',
      '{"op":"ack","sub":"r1","seq":"1"}',
    ];
    for (const line of lines) {
      for (const inSession of [true, false]) {
        expect(outcome(parseRequest(line, inSession)), `${line} (${inSession ? 'in a session' : 'before hello'})`).toEqual(
          outcome(parseRequest(spaced(line), inSession)),
        );
      }
    }
    expect(parseRequest('{"op":"ack","sub":"r1","seq":7}')).toEqual({ id: null, op: 'ack', request: { op: 'ack', sub: 'r1', seq: 7 } });
  });
});
