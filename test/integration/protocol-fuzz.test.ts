// The disco protocol, fuzzed the way dns-fuzz fuzzes DNS: seeded (replay a failure with
// FUZZ_SEED=n), 100,000 lines of every JSON type in every field, unknown and prototype keys
// (FUZZ_LINES shortens the stream where the test runs over and over: mutation runs).
// Each line's reply is predicted from how the line was made, independently of the server's code.

import { connect, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import type { DiscoServer } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { KINDS, type Kind, mulberry32, PROTOTYPE_KEYS } from '../helpers/fuzz.ts';
import { recordingLogger } from '../helpers/logging.ts';
import { type Message, WirePeer } from '../helpers/wire.ts';

const LINES = Number(process.env.FUZZ_LINES ?? 100_000);
const CONNECTIONS = 10;
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** What a line must get back: a reply (ok, or an error code, with its `re`), a pong, or nothing. */
type Expected = { re: number | null; code: string | 'ok' } | 'pong' | 'nothing';

/** Requests that are valid as they stand, field by field (in JSON order), with each field's kind. */
const TEMPLATES: Record<string, Array<[string, unknown, Kind, 'required' | 'optional']>> = {
  hello: [
    ['op', 'hello', 'string', 'required'],
    ['id', 1, 'number', 'required'],
    ['version', 1, 'number', 'required'],
    ['client', 'fuzz', 'string', 'optional'],
  ],
  provide: [
    ['op', 'provide', 'string', 'required'],
    ['id', 1, 'number', 'required'],
    ['name', 'web.front.fuzz', 'string', 'required'],
    ['host', '10.0.0.1', 'string', 'required'],
    ['port', 80, 'number', 'required'],
    ['protocol', 'tcp', 'string', 'optional'],
    ['attrs', { az: 'a' }, 'object', 'optional'],
    ['key', 'k1', 'string', 'optional'],
  ],
  unprovide: [
    ['op', 'unprovide', 'string', 'required'],
    ['id', 1, 'number', 'required'],
    ['provision', 'p999999', 'string', 'required'],
  ],
  require: [
    ['op', 'require', 'string', 'required'],
    ['id', 1, 'number', 'required'],
    ['name', 'web.front.fuzz', 'string', 'required'],
    ['attrs', { az: 'a*' }, 'object', 'optional'],
    ['key', 'fz', 'string', 'optional'],
  ],
  unrequire: [
    ['op', 'unrequire', 'string', 'required'],
    ['id', 1, 'number', 'required'],
    ['sub', 'r999999', 'string', 'required'],
  ],
  list: [
    ['op', 'list', 'string', 'required'],
    ['id', 1, 'number', 'required'],
    ['name', 'web.front.fuzz', 'string', 'optional'],
    ['limit', 5, 'number', 'optional'],
  ],
  bye: [
    ['op', 'bye', 'string', 'required'],
    ['id', 1, 'number', 'required'],
  ],
  ping: [['op', 'ping', 'string', 'required']],
  pong: [['op', 'pong', 'string', 'required']],
  ack: [
    ['op', 'ack', 'string', 'required'],
    ['sub', 'r999999', 'string', 'required'],
    ['seq', 1, 'number', 'required'],
  ],
};
/** Numbers of the right kind that each numeric field still refuses. */
const BAD_NUMBERS: Record<string, number[]> = {
  id: [-1, 0.5, 2 ** 60],
  port: [0, 65536, 1.5, -80],
  limit: [0, 1001, 2.5],
  seq: [-1, 0.5],
  version: [1.5, -0.5],
};

class Fuzzer {
  private readonly random: () => number;
  constructor(seedValue: number) {
    this.random = mulberry32(seedValue);
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  private text(): string {
    const alphabet = 'abcXYZ019 ._-*"\\/☃é\u0000\u001f{}[]:,';
    return Array.from({ length: this.int(12) }, () => alphabet[this.int(alphabet.length)]).join('');
  }

  value(kind: Kind, depth = 0): unknown {
    switch (kind) {
      case 'null':
        return null;
      case 'boolean':
        return this.random() < 0.5;
      case 'number':
        return this.pick([0, 1, -1, 3.25, 1e308, -(2 ** 53), 2 ** 53 + 2, this.int(1e6)]);
      case 'string':
        return this.text();
      case 'array':
        return depth > 1 ? [] : Array.from({ length: this.int(3) }, () => this.value(this.pick(KINDS), depth + 1));
      case 'object':
        return depth > 1
          ? {}
          : Object.fromEntries(Array.from({ length: this.int(3) }, () => [this.text(), this.value(this.pick(KINDS), depth + 1)]));
    }
  }

  /** One line and what it must get back; `helloed` is the connection's state, updated here. */
  line(state: { helloed: boolean; nextId: number }): { line: string; expected: Expected } {
    const roll = this.int(20);
    if (roll === 0) {
      // Not JSON, or JSON that is not an object.
      const line =
        this.random() < 0.5
          ? `{${this.text()}`
          : JSON.stringify(this.value(this.pick(['null', 'boolean', 'number', 'string', 'array'] as Kind[])));
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return { line, expected: { re: null, code: 'parse_error' } };
      }
      const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      return { line, expected: isObject ? { re: null, code: 'unknown_op' } : { re: null, code: 'bad_request' } };
    }
    const op = this.pick(Object.keys(TEMPLATES));
    const id = state.nextId++;
    const fields: Array<[string, unknown]> = TEMPLATES[op]!.map(([name, value]) => [name, name === 'id' ? id : value]);
    const hasId = fields.some(([name]) => name === 'id');
    const reOf = () => (hasId && fields.some(([name, value]) => name === 'id' && value === id) ? id : null);
    const encode = () => `{${fields.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`;
    const mutation = this.int(8);
    const template = TEMPLATES[op]!;
    // Before hello, what is wrong with a session's request is first that there is no session.
    const refused = (re: number | null): Expected =>
      state.helloed || ['hello', 'ping', 'pong'].includes(op) ? { re, code: 'bad_request' } : { re, code: 'no_session' };
    if (mutation === 0 && op !== 'bye') return { line: encode(), expected: this.valid(op, state, id) };
    if (mutation <= 2) {
      // Every JSON type in every field: a value of another kind.
      const at = this.int(template.length);
      const [name, , kind] = template[at]!;
      fields[at] = [name, this.value(this.pick(KINDS.filter((k) => k !== kind)))];
      if (name === 'op') return { line: encode(), expected: { re: reOf(), code: 'unknown_op' } };
      return { line: encode(), expected: refused(reOf()) };
    }
    if (mutation === 3) {
      // A number of the right kind that the field refuses.
      const numeric = template.map(([name], at) => [name, at] as const).filter(([name]) => name in BAD_NUMBERS);
      if (numeric.length === 0) return this.line(state);
      const [name, at] = this.pick(numeric);
      fields[at] = [name, this.pick(BAD_NUMBERS[name]!)];
      return { line: encode(), expected: refused(reOf()) };
    }
    if (mutation === 4) {
      // A key no message has, prototype keys first among them.
      const key = this.random() < 0.7 ? this.pick(PROTOTYPE_KEYS) : `x${this.text()}`;
      fields.splice(this.int(fields.length + 1), 0, [key, this.value(this.pick(KINDS))]);
      return { line: encode(), expected: refused(reOf()) };
    }
    if (mutation === 5) {
      // A required field missing.
      const required = template.map(([name, , , need], at) => [name, at, need] as const).filter(([, , need]) => need === 'required');
      const [name, at] = this.pick(required);
      fields.splice(at, 1);
      if (name === 'op') return { line: encode(), expected: { re: reOf(), code: 'unknown_op' } };
      return { line: encode(), expected: refused(reOf()) };
    }
    if (mutation === 6) {
      // An op that is not one, prototype names among them.
      fields[0] = ['op', this.pick([...PROTOTYPE_KEYS, 'HELLO', '', 'provide ', this.text()])];
      if (Object.hasOwn(TEMPLATES, fields[0][1] as string)) return this.line(state);
      return { line: encode(), expected: { re: reOf(), code: 'unknown_op' } };
    }
    // Attributes with a prototype key, a value of another kind, or a control character.
    const at = fields.findIndex(([name]) => name === 'attrs');
    if (at === -1) return this.line(state);
    const attrs = this.pick([
      `{${JSON.stringify(this.pick(PROTOTYPE_KEYS.slice(0, 3)))}:${JSON.stringify(this.value(this.pick(KINDS)))}}`,
      `{"az":"x",${JSON.stringify(this.pick(PROTOTYPE_KEYS.slice(0, 3)))}:${JSON.stringify(this.value(this.pick(KINDS)))}}`,
      `{"az":${JSON.stringify(this.value(this.pick(KINDS.filter((k) => k !== 'string'))))}}`,
      '{"az":"a\\u0001"}',
      `{"${'k'.repeat(63)}":"${'☃'.repeat(64)}"}`,
    ]);
    const line = encode().replace(/"attrs":\{[^}]*\}/, `"attrs":${attrs}`);
    return { line, expected: refused(id) };
  }

  private valid(op: string, state: { helloed: boolean }, id: number): Expected {
    switch (op) {
      case 'ping':
        return 'pong';
      case 'pong':
        return 'nothing';
      case 'ack':
        return state.helloed ? 'nothing' : { re: null, code: 'no_session' };
      case 'hello':
        if (state.helloed) return { re: id, code: 'bad_request' };
        state.helloed = true;
        return { re: id, code: 'ok' };
      case 'bye':
        throw new Error('a valid bye would end the run');
    }
    if (!state.helloed) return { re: id, code: 'no_session' };
    return { re: id, code: op === 'unprovide' || op === 'unrequire' ? 'not_found' : 'ok' };
  }
}

// Started inside the test, not in a hook: what runs outside a test is a static mutant to Stryker,
// which then tries it against every test (docs/testing.md, "Static mutants").
let server: DiscoServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

let lastActivity = Date.now();

/** Sends lines on one connection and collects every line that comes back, until `count` replies are in. */
function run(port: number, lines: string[], replies: number): Promise<Message[]> {
  lastActivity = Date.now();
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const received: Message[] = [];
    let seen = 0;
    let buffer = '';
    // Fewer replies than lines asked for: do not wait for the heartbeat timeout to find out.
    // The server serves every connection in turn, so silence counts only when all are silent.
    const quiet = setInterval(() => {
      if (Date.now() - lastActivity > 3000) socket.destroy();
    }, 500);
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      lastActivity = Date.now();
      buffer += text;
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const part of parts) {
        const message = JSON.parse(part);
        received.push(message);
        if ('re' in message) seen++;
      }
      if (seen >= replies) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearInterval(quiet);
      resolve(received);
    });
    socket.write(lines.map((line) => `${line}\n`).join(''));
  });
}

// The seed is in every failure message, not in the test's name: a name that changes with each
// run is a new test to StrykerJS every time (its incremental mode would retry all it reaches).
it(`answers ${LINES.toLocaleString('en')} fuzzed lines each as predicted, then serves a well-formed client`, async () => {
  const log = recordingLogger();
  server = await startDisco({ heartbeatInterval: 5000, heartbeatTimeout: 30000, errorBurst: 1e9, logger: log.logger });
  const port = server.address().port;
  const fuzzer = new Fuzzer(seed);
  const perConnection = LINES / CONNECTIONS;
  const work = Array.from({ length: CONNECTIONS }, (_, c) => {
    const state = { helloed: false, nextId: 1 };
    const lines: string[] = [];
    const expected: Expected[] = [];
    if (c % 3 !== 0) {
      lines.push('{"op":"hello","id":0,"version":1}');
      expected.push({ re: 0, code: 'ok' });
      state.helloed = true;
    }
    while (lines.length < perConnection) {
      const made = fuzzer.line(state);
      lines.push(made.line);
      expected.push(made.expected);
    }
    return { lines, expected };
  });
  const results = await Promise.all(
    work.map(({ lines, expected }) => run(port, lines, expected.filter((e) => typeof e === 'object').length)),
  );
  for (const [c, received] of results.entries()) {
    const { lines, expected } = work[c]!;
    const replies = received.filter((m) => 're' in m);
    const wanted = expected.flatMap((e, at) => (typeof e === 'object' ? [{ ...e, line: lines[at] }] : []));
    for (const [at, reply] of replies.entries()) {
      const want = wanted[at]!;
      const got = { re: reply.re, code: reply.ok ? 'ok' : reply.error.code, line: want.line };
      expect(got, `FUZZ_SEED=${seed}, connection ${c}, reply ${at}, to ${want.line}`).toEqual(want);
      if (!reply.ok) expect(reply.error.message).toMatch(/^\S.{2,}$/);
    }
    expect(replies.length, `FUZZ_SEED=${seed}, connection ${c}: replies; first lines back: ${JSON.stringify(received.slice(0, 3))}`).toBe(
      wanted.length,
    );
    expect(received.filter((m) => m.op === 'pong')).toHaveLength(expected.filter((e) => e === 'pong').length);
  }
  expect(
    log.entries.filter((entry) => entry.type === 'error' || entry.type === 'fatal').map((entry) => entry.args.map(String).join(' ')),
    `FUZZ_SEED=${seed}: errors logged`,
  ).toEqual([]);

  const subscriber = await WirePeer.session(port);
  const provider = await WirePeer.session(port);
  try {
    const sub = await subscriber.request({ op: 'require', id: 1, name: 'db.after.fuzz' });
    expect(sub).toMatchObject({ ok: true, endpoints: [] });
    expect(await provider.request({ op: 'provide', id: 1, name: 'db.after.fuzz', host: '10.9.9.9', port: 5432 })).toMatchObject({
      ok: true,
    });
    expect(await subscriber.next((m) => m.op === 'changed')).toMatchObject({
      sub: sub.sub,
      seq: 1,
      add: [{ host: '10.9.9.9', port: 5432 }],
      drop: [],
    });
    expect(await provider.request({ op: 'list', id: 2, name: 'db.after.fuzz' })).toMatchObject({
      ok: true,
      endpoints: [{ host: '10.9.9.9' }],
    });
  } finally {
    subscriber.destroy();
    provider.destroy();
  }
}, 60_000);
