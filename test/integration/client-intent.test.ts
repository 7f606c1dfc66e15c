// What the client keeps of an application's intent (its provisions and watches) and how it lets
// go of it: closing a watch or dropping a provision, whatever the server answers or whenever the
// session is lost, and registering again in a new session. Against the scripted server.

import { consola, type LogObject } from 'consola';
import { describe, expect, it } from 'vitest';
import { DiscoClient } from '../../src/client/client.ts';
import { recordingLogger } from '../helpers/logging.ts';
import { eventually, sleep } from '../helpers/wait.ts';
import { connected, ep, fakeDisco, hosts, NAME, provided, watching, within } from './client-fixture.ts';
import type { FakeConnection, Message } from './fake-disco.ts';

/** Answers the first unanswered request of `op` with an error. */
async function refuse(connection: FakeConnection, op: string, error: { code: string; message: string }): Promise<Message> {
  const request = await connection.next((m) => m.op === op && !m.answered, `"${op}"`);
  request.answered = true;
  connection.send({ re: request.id, ok: false, error });
  return request;
}

const count = (connection: FakeConnection, op: string) => connection.received.filter((m) => m.op === op).length;

describe('closing a watch', () => {
  it('unrequires it by key, once, and tells nothing of the pushes that follow', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const { watch, events } = await watching(client, first, 'r2', [ep('p1', '10.0.0.5')]);
    const closing = watch.close();
    expect(await first.answer('unrequire', {})).toEqual({ op: 'unrequire', id: expect.any(Number), key: watch.key, answered: true });
    await within(closing, 'the close');
    await watch.close();
    expect(count(first, 'unrequire')).toBe(1);

    first.send({ op: 'changed', sub: 'r2', seq: 1, add: [ep('p2', '10.0.0.6')], drop: [] });
    expect(await first.op('ack')).toEqual({ op: 'ack', sub: 'r2', seq: 1 });
    expect(events).toEqual([]);
    expect(hosts(watch.endpoints)).toEqual(['10.0.0.5']);
  });

  it('resolves when the server no longer knows the subscription, and rejects with any other refusal', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const gone = await watching(client, first, 'r2', []);
    const closingGone = gone.watch.close();
    await refuse(first, 'unrequire', { code: 'not_found', message: `no subscription "${gone.watch.key}" in this session` });
    await expect(within(closingGone, 'the close')).resolves.toBeUndefined();

    const refused = await watching(client, first, 'r3', []);
    const closingRefused = refused.watch.close();
    await refuse(first, 'unrequire', { code: 'bad_request', message: 'no, not today' });
    await expect(within(closingRefused, 'the close')).rejects.toMatchObject({ name: 'DiscoError', code: 'bad_request' });
  });

  it('after the client is closed, resolves without a word to the server', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const { watch } = await watching(client, first, 'r2', []);
    await client.close();
    await expect(within(watch.close(), 'the close')).resolves.toBeUndefined();
    expect(count(first, 'unrequire')).toBe(0);
  });

  it('while the session is lost, resolves once a new one begins, and the watch is not required again', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const { watch } = await watching(client, first, 'r2', [ep('p1', '10.0.0.5')]);
    const closing = watch.close();
    await first.op('unrequire');
    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's2', resumed: false });
    await expect(within(closing, 'the close')).resolves.toBeUndefined();
    await sleep(200);
    expect(second.received.map((m) => m.op)).toEqual(['hello']);
  });
});

describe('dropping a provision', () => {
  it('unprovides it by key, once, and a new session does not provide it again', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const handle = await provided(client, first, 'p1');
    const dropping = handle.drop();
    expect(await first.answer('unprovide', {})).toEqual({ op: 'unprovide', id: expect.any(Number), key: handle.key, answered: true });
    await within(dropping, 'the drop');
    await handle.drop();
    expect(count(first, 'unprovide')).toBe(1);

    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's2', resumed: false });
    await sleep(200);
    expect(second.received.map((m) => m.op)).toEqual(['hello']);
  });
});

describe('a new session', () => {
  it('provides and requires everything again, and forgets, with a warning that names it, what the server refuses', async () => {
    const fake = await fakeDisco();
    const { logger, lines } = recordingLogger();
    const { client, first } = await connected(fake, {}, { logger });
    const handle = await provided(client, first, 'p1');
    const { watch } = await watching(client, first, 'r2', []);

    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's2', resumed: false });
    expect(await refuse(second, 'provide', { code: 'forbidden', message: 'this token may not provide it' })).toMatchObject({
      key: handle.key,
      name: NAME,
      host: '10.0.0.5',
      port: 3306,
    });
    expect(await refuse(second, 'require', { code: 'forbidden', message: 'this token may not require it' })).toMatchObject({
      key: watch.key,
      name: NAME,
    });
    await eventually(() => lines('warn').length === 2, 3000, 'two warnings');
    expect(lines('warn').sort()).toEqual([
      `could not provide ${NAME} again: this token may not provide it`,
      `could not require ${NAME} again: this token may not require it`,
    ]);

    // Refused means forgotten: the session after has nothing to register again.
    second.destroy();
    const third = await fake.connection(2);
    await third.welcome({ session: 's3', resumed: false });
    await sleep(200);
    expect(third.received.map((m) => m.op)).toEqual(['hello']);
  });

  it('requires a watch whose require was in flight once, not again for the new session too', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const requiring = client.require({ name: NAME });
    await first.op('require');
    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's2', resumed: false });
    await second.answer('require', { sub: 'r5', seq: 0, endpoints: [ep('p1', '10.0.0.5')] });
    expect(hosts((await within(requiring, 'the require')).endpoints)).toEqual(['10.0.0.5']);
    await sleep(200);
    expect(count(second, 'require')).toBe(1);
  });

  it("tells each watch its drops when that watch's grace runs out, the first to run out first", async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake, { grace: 2000 });
    // Three watches, so that the first to run out is neither the first nor the last one made.
    const watches = [
      await watching(client, first, 'r1', [ep('a', '10.0.0.1')]),
      await watching(client, first, 'r2', [ep('b', '10.0.0.2')]),
      await watching(client, first, 'r3', [ep('c', '10.0.0.3')]),
    ];
    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's2', resumed: false, grace: 2000 });
    const requires = await Promise.all(watches.map(({ watch }) => second.op('require', (m) => m.key === watch.key)));
    // Answered middle first, then first, then last, 400 ms apart: each one's grace runs out in that order.
    for (const [at, index] of [1, 0, 2].entries()) {
      if (at > 0) await sleep(400);
      second.send({ re: requires[index]!.id, ok: true, sub: `r${index + 4}`, seq: 0, endpoints: [] });
    }
    const dropOf = (events: (typeof watches)[number]['events']) => events.find((event) => event.drop.length > 0);
    await eventually(() => watches.every(({ events }) => dropOf(events)), 8000, 'every drop');
    expect(watches.map(({ events }) => hosts(dropOf(events)!.drop))).toEqual([['10.0.0.1'], ['10.0.0.2'], ['10.0.0.3']]);
    const [madeFirst, madeSecond, madeLast] = watches.map(({ events }) => dropOf(events)!.at);
    expect(madeSecond).toBeLessThan(madeFirst!);
    expect(madeFirst).toBeLessThan(madeLast!);
  });
});

describe('a resumed session', () => {
  it('registers nothing again: the server kept it all', async () => {
    const fake = await fakeDisco();
    const { logger, lines } = recordingLogger();
    const { client, first } = await connected(fake, {}, { logger });
    await provided(client, first, 'p1');
    await watching(client, first, 'r2', []);
    first.send({ op: 'shutdown', reason: 'disco is restarting' });
    await eventually(() => lines('debug').includes('disco is shutting down: disco is restarting'), 3000, 'the shutdown line');
    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's1', resumed: true });
    await eventually(() => client.connected, 3000, 'the resume');
    await sleep(200);
    expect(second.received.map((m) => m.op)).toEqual(['hello']);
    expect(lines('debug')).toContain('disconnected from disco: connection closed');
    // Every move of the connection is traced too, in the words of `transitions`.
    expect(lines('debug').filter((line) => line.startsWith('connection: '))).toEqual(
      client.transitions.map((move) => `connection: ${move}`),
    );
  });
});

describe('a watch closed while a new session requires it again', () => {
  it('takes the late snapshot without a word to its callback', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const { watch, events } = await watching(client, first, 'r2', []);
    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's2', resumed: false });
    const again = await second.op('require');
    const closing = watch.close();
    second.send({ re: again.id, ok: true, sub: 'r5', seq: 0, endpoints: [ep('p9', '10.0.0.9')] });
    await second.answer('unrequire', {});
    await within(closing, 'the close');
    second.send({ op: 'changed', sub: 'r5', seq: 1, add: [ep('p8', '10.0.0.8')], drop: [] });
    await second.op('ack');
    expect(events).toEqual([]);
  });
});

describe('a closed client', () => {
  it('tells nothing more, not even a drop whose grace runs out after it closed', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake, { grace: 300 });
    const { events } = await watching(client, first, 'r1', [ep('p1', '10.0.0.5')]);
    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's2', resumed: false, grace: 300 });
    await second.answer('require', { sub: 'r3', seq: 0, endpoints: [] });
    await client.close();
    await sleep(600);
    expect(events).toEqual([]);
  });
});

describe('a watch callback that throws', () => {
  it('is logged, and the client goes on telling the other watches', async () => {
    const fake = await fakeDisco();
    const { logger, lines } = recordingLogger();
    const { client, first } = await connected(fake, {}, { logger });
    const throwing = client.require({ name: NAME }, () => {
      throw new Error('a bug in the application');
    });
    await first.answer('require', { sub: 'r1', seq: 0, endpoints: [] });
    await throwing;
    const { events } = await watching(client, first, 'r2', []);
    for (const sub of ['r1', 'r2']) first.send({ op: 'changed', sub, seq: 1, add: [ep('p1', '10.0.0.5')], drop: [] });
    await eventually(() => events.length === 1, 3000, 'the other watch to be told');
    expect(lines('error')).toEqual([expect.stringContaining('a bug in the application')]);
    expect(client.state).toBe('ready');
  });
});

describe('the connection', () => {
  it('names itself after its process when not told a name', async () => {
    const fake = await fakeDisco();
    const connecting = DiscoClient.connect({ host: '127.0.0.1', port: fake.port, logger: recordingLogger().logger });
    const connection = await fake.connection(0);
    expect(await connection.welcome()).toMatchObject({ op: 'hello', client: `scs-${process.pid}` });
    await (await within(connecting, 'the connect')).close();
  });

  it('logs through consola, tagged disco-client, when not given a logger', async () => {
    const entries: LogObject[] = [];
    const { reporters, level } = consola.options;
    consola.setReporters([{ log: (entry) => void entries.push(entry) }]);
    consola.level = 5;
    try {
      const fake = await fakeDisco();
      const connecting = DiscoClient.connect({ host: '127.0.0.1', port: fake.port, name: 'test' });
      await (await fake.connection(0)).welcome();
      await (await within(connecting, 'the connect')).close();
    } finally {
      consola.setReporters(reporters);
      consola.level = level;
    }
    expect(entries.map((entry) => entry.args.join(' '))).toContain('connection: idle → connecting: connect');
    expect(new Set(entries.map((entry) => entry.tag))).toEqual(new Set(['disco-client']));
  });

  it('refuses a welcome it cannot read, in one sentence', async () => {
    const fake = await fakeDisco();
    const { logger, lines } = recordingLogger();
    const connecting = DiscoClient.connect({ host: '127.0.0.1', port: fake.port, name: 'test', logger });
    const connection = await fake.connection(0);
    await connection.op('hello');
    connection.send({ re: 0, ok: true, session: 's1', resumed: false, version: 1, grace: 1000 });
    await expect(within(connecting, 'the connect')).rejects.toMatchObject({
      name: 'DiscoError',
      code: 'bad_reply',
      message: 'disco sent an unexpected reply: heartbeat: missing field',
    });
    // The caller of connect has the sentence; logging it too would say it twice.
    expect(lines('error')).toEqual([]);
  });

  it('closes after waiting a second for a goodbye the server never answers, not a whole request timeout', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake, {}, { requestTimeoutMs: 20_000 });
    first.answersBye = false;
    await within(client.close(), 'the close', 10_000);
    expect(client.transitions.at(-1)).toBe('closing → closed: said goodbye');
    await eventually(() => first.closed, 3000, 'the connection to close');
  });

  it('closes when the server hangs up on its goodbye', async () => {
    const fake = await fakeDisco();
    const { logger, lines } = recordingLogger();
    const { client, first } = await connected(fake, {}, { logger });
    first.answersBye = false;
    const closing = client.close();
    await first.op('bye');
    first.destroy();
    await within(closing, 'the close');
    expect(client.state).toBe('closed');
    expect(client.transitions.at(-1)).toMatch(/^closing → closed: connection closed$/);
    // The goodbye, failed by the hang-up, then finds the client closed: no second move is tried.
    await sleep(50);
    expect(lines('debug').filter((line) => line.includes('refused'))).toEqual([]);
  });
});
