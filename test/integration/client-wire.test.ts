// The whole client against a scripted server on loopback (fake-disco.ts), which can do on cue
// what the real server rarely does: fall silent, drop, refuse, send pushes in parts or a resync.

import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DiscoClient, type DiscoClientOptions, type WatchEvent } from '../../src/client/client.ts';
import { dialTcp } from '../../src/client/dial.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { quietLogger, recordingLogger } from '../helpers/logging.ts';
import { eventually, sleep } from '../helpers/wait.ts';
import { connected, ep, fakeDisco, hosts, NAME, provided, watching, within } from './client-fixture.ts';
import { type FakeDisco, type Message, WELCOME } from './fake-disco.ts';

describe('heartbeats', () => {
  it('notices a silent server after the heartbeat timeout, and dials again to resume', async () => {
    const fake = await fakeDisco();
    const timeout = 1000;
    const welcomedAt = Date.now();
    const { client, first } = await connected(fake, { heartbeat: { interval: 200, timeout } });
    const disconnected = new Promise<{ reason: string; at: number }>((resolve) =>
      client.once('disconnected', (reason) => resolve({ reason, at: Date.now() })),
    );
    // The server says nothing more, and answers no ping.
    const { reason, at } = await within(disconnected, 'the disconnect', 10_000);
    expect(reason).toBe(`heard nothing from disco for ${timeout} ms`);
    expect(first.received.filter((m) => m.op === 'ping').length).toBeGreaterThanOrEqual(2);
    expect(at - welcomedAt).toBeGreaterThanOrEqual(timeout - 10);
    // Generous for a loaded machine, yet far below the old check period's extra half interval.
    expect(at - welcomedAt).toBeLessThan(timeout * 1.5);

    const second = await fake.connection(1);
    const hello = await second.welcome({ resumed: true });
    expect(hello).toMatchObject({ op: 'hello', session: 's1' });
    await eventually(() => client.connected, 3000, 'the resume');
  });

  it('gives up on a server that takes the connection but never answers hello, after 15 s (no welcome has set its timers yet)', async () => {
    const fake = await fakeDisco();
    const connecting = DiscoClient.connect({ host: '127.0.0.1', port: fake.port, name: 'test', logger: quietLogger });
    const started = Date.now();
    await (await fake.connection(0)).op('hello');
    await expect(within(connecting, 'the connect', 25_000)).rejects.toThrow(
      `cannot reach disco at 127.0.0.1:${fake.port}: heard nothing from disco for 15000 ms`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(14_900);
  });

  it('stays connected to a quiet server that answers its pings, and answers the server’s', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake, { heartbeat: { interval: 100, timeout: 400 } });
    first.socket.on('data', () => {
      for (const m of first.received.splice(0)) if (m.op === 'ping') first.send({ op: 'pong' });
    });
    first.send({ op: 'ping' });
    await sleep(1200);
    expect(client.state).toBe('ready');
    expect(fake.connections).toHaveLength(1);
  });

  it('answers a ping with a pong', async () => {
    const fake = await fakeDisco();
    const { first } = await connected(fake);
    first.send({ op: 'ping' });
    await first.op('pong');
  });
});

describe('acknowledgements', () => {
  it('acks a burst of pushes with one ack, of the last seq', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const { watch, events } = await watching(client, first, 'r2', []);
    first.send(
      { op: 'changed', sub: 'r2', seq: 1, add: [ep('p1', '10.0.0.5')], drop: [] },
      { op: 'changed', sub: 'r2', seq: 2, add: [ep('p2', '10.0.0.6')], drop: [] },
      { op: 'changed', sub: 'r2', seq: 3, add: [], drop: [ep('p1', '10.0.0.5')] },
    );
    expect(await first.op('ack')).toEqual({ op: 'ack', sub: 'r2', seq: 3 });
    await sleep(200);
    expect(first.received.filter((m) => m.op === 'ack')).toHaveLength(1);
    expect(events).toHaveLength(3);
    expect(hosts(watch.endpoints)).toEqual(['10.0.0.6']);
  });

  it('applies a push in parts once, when whole, and acks it only then', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const { watch, events } = await watching(client, first, 'r2', []);
    const part = (add: Message[], more: boolean) => ({ op: 'changed', sub: 'r2', seq: 1, add, drop: [], more });
    first.send(part([ep('p1', '10.0.0.5')], true), part([ep('p2', '10.0.0.6')], true));
    await sleep(200);
    expect(first.received.some((m) => m.op === 'ack')).toBe(false);
    expect(events).toEqual([]);
    first.send(part([ep('p3', '10.0.0.7')], false));
    expect(await first.op('ack')).toEqual({ op: 'ack', sub: 'r2', seq: 1 });
    expect(events).toHaveLength(1);
    expect(hosts(events[0]!.add)).toEqual(['10.0.0.5', '10.0.0.6', '10.0.0.7']);
    expect(watch.endpoints).toHaveLength(3);
  });

  it('applies a resync as the difference from its view, and acks it', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const { watch, events } = await watching(client, first, 'r2', [ep('p1', '10.0.0.5'), ep('p2', '10.0.0.6')]);
    first.send(
      { op: 'resync', sub: 'r2', seq: 5, endpoints: [ep('p2', '10.0.0.6')], more: true },
      { op: 'resync', sub: 'r2', seq: 5, endpoints: [ep('p3', '10.0.0.7')] },
    );
    expect(await first.op('ack')).toEqual({ op: 'ack', sub: 'r2', seq: 5 });
    expect(events).toHaveLength(1);
    expect(hosts(events[0]!.add)).toEqual(['10.0.0.7']);
    expect(hosts(events[0]!.drop)).toEqual(['10.0.0.5']);
    expect(hosts(watch.endpoints)).toEqual(['10.0.0.6', '10.0.0.7']);
  });
});

describe('lines from the server that are not for a request', () => {
  it('warns of a line it cannot read, ignores it, and stays connected', async () => {
    const fake = await fakeDisco();
    const { logger, lines } = recordingLogger();
    const { client, first } = await connected(fake, {}, { logger });
    first.send('{"re":1,\n', { op: 'changed', sub: 7 });
    await eventually(() => lines('warn').length === 2, 3000, 'two warnings');
    expect(lines('warn')).toEqual([
      'disco sent a line that is not JSON; ignoring it',
      expect.stringMatching(/^disco sent an unexpected message \(.+\); ignoring it$/),
    ]);
    const listing = client.list(NAME);
    await first.answer('list', { endpoints: [ep('p1', '10.0.0.5')] });
    expect(hosts(await within(listing, 'the list'))).toEqual(['10.0.0.5']);
    expect(fake.connections).toHaveLength(1);
  });

  it('ignores an empty reply to no request while it waits for its welcome', async () => {
    const fake = await fakeDisco();
    const connecting = DiscoClient.connect({ host: '127.0.0.1', port: fake.port, name: 'test', logger: quietLogger });
    const connection = await fake.connection(0);
    await connection.op('hello');
    connection.send({ re: null, ok: true });
    connection.send(WELCOME);
    const client = await within(connecting, 'the connect');
    onCleanup(() => client.close());
    expect(client.state).toBe('ready');
  });

  it('warns of a server that turns its connection away, and dials again', async () => {
    const fake = await fakeDisco();
    const { logger, lines } = recordingLogger();
    const { client, first } = await connected(fake, {}, { logger });
    first.destroy();
    const second = await fake.connection(1);
    await second.op('hello');
    // As disco does for a source over its connection limit: one error line, not a reply, then the end.
    const refusal = { code: 'too_many_connections', message: 'too many connections from 127.0.0.1' };
    second.socket.end(`${JSON.stringify({ re: null, ok: false, error: refusal })}\n`);
    const third = await fake.connection(2);
    await third.welcome({ resumed: true });
    await eventually(() => client.connected, 3000, 'the resume');
    expect(lines('warn')).toContain('disco: too many connections from 127.0.0.1');
  });
});

/** A client whose list is in flight on its first connection when that drops; the second connection, once made. */
async function listInFlightWhenDropped(fake: FakeDisco, options: Partial<DiscoClientOptions> = {}) {
  const { client, first } = await connected(fake, {}, options);
  const listing = client.list(NAME);
  await first.op('list');
  first.destroy();
  return { client, listing, second: await fake.connection(1) };
}

describe('requests in flight when the connection drops', () => {
  it('are sent again after a resume, and resolve with the new reply', async () => {
    const fake = await fakeDisco();
    const { listing, second } = await listInFlightWhenDropped(fake);
    await second.welcome({ resumed: true });
    await second.answer('list', { endpoints: [ep('p1', '10.0.0.5')] });
    expect(hosts(await within(listing, 'the list'))).toEqual(['10.0.0.5']);
  });

  it('are redone from intent after a new session', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const providing = client.provide({ name: NAME, host: '10.0.0.5', port: 3306 });
    const lost = await first.op('provide');
    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's2', resumed: false });
    const again = await second.answer('provide', { provision: 'p7' });
    expect(again).toMatchObject({ name: NAME, host: '10.0.0.5', key: lost.key });
    const handle = await within(providing, 'the provide');
    expect(handle.id).toBe('p7');
    await sleep(100);
    expect(second.received.filter((m) => m.op === 'provide')).toHaveLength(1);
  });

  it('are rejected when the client is closed', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const listing = client.list();
    await first.op('list');
    await client.close();
    await first.op('bye');
    await expect(within(listing, 'the list')).rejects.toMatchObject({
      name: 'DiscoError',
      code: 'closed',
      message: 'the disco client was closed',
    });
    expect(client.state).toBe('closed');
  });

  it('are rejected when the server refuses the new session', async () => {
    const fake = await fakeDisco();
    const { logger, lines } = recordingLogger();
    const { client, listing, second } = await listInFlightWhenDropped(fake, { logger });
    await second.op('hello');
    second.send({ re: 0, ok: false, error: { code: 'unsupported_version', message: 'this server speaks version 2' } });
    await expect(within(listing, 'the list')).rejects.toMatchObject({ code: 'unsupported_version' });
    expect(client.state).toBe('closed');
    expect(client.transitions.at(-1)).toBe('handshaking → closed: refused: unsupported_version');
    // No caller waits on a reconnect: the log is where the application's operator learns why.
    expect(lines('error')).toEqual(['disco refused the session: this server speaks version 2']);
  });

  it('are sent again on the next server when one cannot reach its etcd at hello', async () => {
    const fake = await fakeDisco();
    const { client, listing, second } = await listInFlightWhenDropped(fake);
    await second.op('hello');
    second.send({ re: 0, ok: false, error: { code: 'unavailable', message: 'disco cannot reach etcd' } });
    // Not a refusal: that server lets go of the connection, and the client dials again as itself.
    const third = await fake.connection(2);
    expect(await third.welcome({ resumed: true })).toMatchObject({ op: 'hello', session: 's1' });
    await third.answer('list', { endpoints: [ep('p1', '10.0.0.5')] });
    expect(hosts(await within(listing, 'the list'))).toEqual(['10.0.0.5']);
    expect(second.closed).toBe(true);
    expect(client.state).toBe('ready');
  });

  it('are rejected when the server never answers them, past the request timeout', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake, {}, { requestTimeoutMs: 300 });
    const listing = client.list();
    await first.op('list');
    // Its own deadline, not the next heartbeat check's (the welcome's interval is 5 s).
    await expect(within(listing, 'the list', 2500)).rejects.toMatchObject({
      code: 'timeout',
      message: 'disco did not answer a list request within 300 ms',
    });
    expect(client.state).toBe('ready');
  });

  it('are refused at once while the client says goodbye, and never sent', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    first.answersBye = false;
    const closing = client.close();
    await first.op('bye');
    await expect(within(client.list(), 'the list')).rejects.toMatchObject({ code: 'closed', message: 'the disco client was closed' });
    first.send({ re: (await first.op('bye')).id, ok: true });
    await within(closing, 'the close');
    expect(first.received.map((m) => m.op)).toEqual(['hello', 'bye']);
  });
});

describe('sessions', () => {
  it('registers again when a welcome says resumed but names another session', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    await provided(client, first, 'p1');
    const connectedAgain = new Promise((resolve) => client.once('connected', resolve));
    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's9', resumed: true });
    expect(await connectedAgain).toEqual({ session: 's9', resumed: false });
    await second.answer('provide', { provision: 'p4' });
    expect(client.sessionId).toBe('s9');
  });

  it('tells its application when the server says it is shutting down', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const shutdown = new Promise((resolve) => client.once('shutdown', resolve));
    first.send({ op: 'shutdown', reason: 'disco is restarting' });
    expect(await within(shutdown, 'the shutdown event')).toBe('disco is restarting');
  });

  it('acks pushes for a subscription it no longer has, so the server can forget them', async () => {
    const fake = await fakeDisco();
    const { first } = await connected(fake);
    first.send({ op: 'changed', sub: 'r77', seq: 4, add: [ep('p1', '10.0.0.5')], drop: [] });
    expect(await first.op('ack')).toEqual({ op: 'ack', sub: 'r77', seq: 4 });
  });
});

describe('the connection state', () => {
  it('traces its transitions through a drop, a resume and a close', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ resumed: true });
    await eventually(() => client.connected, 3000, 'the resume');
    await client.close();
    expect(client.transitions.join('\n')).toBe(
      [
        'idle → connecting: connect',
        'connecting → handshaking: stream open',
        'handshaking → ready: welcomed (new session)',
        'ready → backing-off: connection closed',
        'backing-off → connecting: backoff over',
        'connecting → handshaking: stream open',
        'handshaking → ready: welcomed back (resumed)',
        'ready → closing: close()',
        'closing → closed: said goodbye',
      ].join('\n'),
    );
  });

  it('keeps dialling a server that is not up yet when told to wait for it', async () => {
    const fake = await fakeDisco();
    let attempts = 0;
    const connecting = DiscoClient.connect({
      host: '127.0.0.1',
      port: fake.port,
      logger: quietLogger,
      waitForServer: true,
      backoffMinMs: 10,
      backoffMaxMs: 20,
      dial: async (target) => {
        if (++attempts <= 2) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        const { connect } = await import('node:net');
        return connect(target);
      },
    });
    await (await fake.connection(0)).welcome();
    const client = await connecting;
    onCleanup(() => client.close());
    expect(client.transitions.slice(0, 6)).toEqual([
      'idle → connecting: connect',
      'connecting → backing-off: connection refused (is `scs disco` running there?)',
      'backing-off → connecting: backoff over',
      'connecting → backing-off: connection refused (is `scs disco` running there?)',
      'backing-off → connecting: backoff over',
      'connecting → handshaking: stream open',
    ]);
  });

  it('closes at once, with no goodbye, while it waits to dial again', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake, {}, { backoffMinMs: 2000, backoffMaxMs: 2000 });
    first.destroy();
    await eventually(() => client.state === 'backing-off', 3000, 'the backoff');
    await within(client.close(), 'the close');
    expect(client.transitions.at(-1)).toBe('backing-off → closed: close()');
    expect(first.received.filter((m) => m.op === 'bye')).toEqual([]);
  });

  it('tells its application of a lost connection once, not again for each dial that fails after', async () => {
    const fake = await fakeDisco();
    const { client } = await connected(fake);
    const reasons: string[] = [];
    client.on('disconnected', (reason) => reasons.push(reason));
    await fake.close();
    await eventually(
      () => client.transitions.filter((move) => move.startsWith('connecting → backing-off')).length >= 3,
      3000,
      'three failed dials',
    );
    expect(reasons).toEqual(['connection closed']);
  });

  it('says goodbye once however often it is closed, and waits for the answer', async () => {
    const fake = await fakeDisco();
    const { logger, lines } = recordingLogger();
    const { client, first } = await connected(fake, {}, { logger });
    await Promise.all([client.close(), client.close(), client.close()]);
    await client.close();
    expect(first.received.filter((m) => m.op === 'bye')).toHaveLength(1);
    expect(client.transitions.slice(-2)).toEqual(['ready → closing: close()', 'closing → closed: said goodbye']);
    // Closing what is closing or closed is no move at all, not a move the state machine refuses.
    expect(lines('debug').filter((line) => line.includes('refused'))).toEqual([]);
  });

  it('starts its backoff afresh after a connection succeeds', async () => {
    const fake = await fakeDisco();
    let failures = 7; // 10 ms doubling: the eighth wait would be about 1.3 s.
    const dialedAt: number[] = [];
    const connecting = DiscoClient.connect({
      host: '127.0.0.1',
      port: fake.port,
      logger: quietLogger,
      waitForServer: true,
      backoffMinMs: 10,
      backoffMaxMs: 60_000,
      dial: async (target) => {
        dialedAt.push(Date.now());
        if (failures-- > 0) throw new Error('not yet');
        const { connect } = await import('node:net');
        return connect(target);
      },
    });
    await (await fake.connection(0)).welcome();
    const client = await connecting;
    onCleanup(() => client.close());
    const lostAt = Date.now();
    fake.connections[0]!.destroy();
    await (await fake.connection(1)).welcome({ resumed: true });
    // Far below the 1 s or more it would wait had the backoff kept growing, even on a loaded machine.
    expect(dialedAt.at(-1)! - lostAt).toBeLessThan(900);
  });

  it('fails a first connect that cannot reach the server, in one sentence', async () => {
    const fake = await fakeDisco();
    const port = fake.port;
    await fake.close();
    const failing = DiscoClient.connect({ host: '127.0.0.1', port, logger: quietLogger });
    await expect(failing).rejects.toThrow(`cannot reach disco at 127.0.0.1:${port}: connection refused (is \`scs disco\` running there?)`);
  });
});

/** Two in-memory streams, each reading what the other writes. */
function memoryPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  for (const at of [0, 1]) {
    ends.push(
      new Duplex({
        read() {},
        write(chunk, _encoding, done) {
          ends[1 - at]!.push(chunk);
          done();
        },
        final(done) {
          ends[1 - at]!.push(null);
          done();
        },
      }),
    );
  }
  return [ends[0]!, ends[1]!];
}

describe('the dial option', () => {
  it('runs the whole client over an in-memory stream it hands in', async () => {
    const [clientEnd, serverEnd] = memoryPair();
    const heard: Message[] = [];
    let buffer = '';
    const reply = (message: Message) => serverEnd.write(`${JSON.stringify(message)}\n`);
    serverEnd.setEncoding('utf8').on('data', (text: string) => {
      buffer += text;
      for (let at = buffer.indexOf('\n'); at !== -1; at = buffer.indexOf('\n')) {
        const message = JSON.parse(buffer.slice(0, at));
        buffer = buffer.slice(at + 1);
        heard.push(message);
        if (message.op === 'hello')
          reply({
            re: 0,
            ok: true,
            session: 'm1',
            resumed: false,
            version: 1,
            heartbeat: { interval: 5000, timeout: 15000 },
            grace: 10000,
          });
        if (message.op === 'require') reply({ re: message.id, ok: true, sub: 'r1', seq: 0, endpoints: [ep('p1', '10.0.0.5')] });
        if (message.op === 'bye') reply({ re: message.id, ok: true });
      }
    });
    const targets: unknown[] = [];
    const client = await DiscoClient.connect({
      host: 'disco.test',
      port: 9640,
      logger: quietLogger,
      dial: async (target) => {
        targets.push(target);
        return clientEnd;
      },
    });
    const events: WatchEvent[] = [];
    const watch = await client.require({ name: NAME }, (event) => events.push(event));
    expect(hosts(watch.endpoints)).toEqual(['10.0.0.5']);
    serverEnd.write(`${JSON.stringify({ op: 'changed', sub: 'r1', seq: 1, add: [ep('p2', '10.0.0.6')], drop: [] })}\n`);
    await eventually(() => events.length === 1, 3000, 'the push');
    await eventually(() => heard.some((m) => m.op === 'ack'), 3000, 'the ack');
    await client.close();
    expect(targets).toEqual([{ host: 'disco.test', port: 9640 }]);
    expect(heard.map((m) => m.op)).toEqual(['hello', 'require', 'ack', 'bye']);
    expect(client.state).toBe('closed');
  });

  it('lets go of a dial that ends after the client closed: destroys the stream it opened, ignores its failure', async () => {
    for (const outcome of ['opens', 'fails'] as const) {
      const fake = await fakeDisco();
      const { logger, lines } = recordingLogger();
      let endDial: ((result: Duplex | Error) => void) | undefined;
      let dials = 0;
      const connecting = DiscoClient.connect({
        host: '127.0.0.1',
        port: fake.port,
        name: 'test',
        logger,
        backoffMinMs: 20,
        backoffMaxMs: 50,
        // The first dial goes to the scripted server; the second hangs until the test ends it.
        dial: (target) =>
          dials++ === 0
            ? dialTcp(target)
            : new Promise((resolve, reject) => {
                endDial = (result) => (result instanceof Error ? reject(result) : resolve(result));
              }),
      });
      await (await fake.connection(0)).welcome();
      const client = await within(connecting, 'the connect');
      fake.connections[0]!.destroy();
      await eventually(() => endDial !== undefined, 3000, `the second dial (${outcome})`);
      await client.close();
      const [late] = memoryPair();
      endDial!(outcome === 'opens' ? late : Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      await sleep(50);
      expect(late.destroyed).toBe(outcome === 'opens');
      expect(client.transitions.at(-1)).toBe('connecting → closed: close()');
      expect(lines('debug').filter((line) => line.includes('refused'))).toEqual([]);
    }
  });
});
