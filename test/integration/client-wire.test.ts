// The whole client against a scripted server on loopback (fake-disco.ts), which can send what
// the real server rarely does on cue: replies and pushes in parts, resync, silence, drops.

import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscoClient, type DiscoClientOptions, type WatchEvent } from '../../src/client/client.ts';
import { eventually, quietLogger, sleep } from '../helpers/disco.ts';
import { FakeDisco, type FakeConnection, type Message } from './fake-disco.ts';

const NAME = 'mysql.db.blog.prod';
const cleanup: Array<() => unknown> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const ep = (id: string, host: string, port = 3306) => ({ id, name: NAME, host, port, protocol: 'tcp', attrs: {} });
const many = (count: number, prefix = 'p') => Array.from({ length: count }, (_, i) => ep(`${prefix}${i}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
const hosts = (endpoints: ReadonlyArray<{ host: string }>) => endpoints.map((e) => e.host);

async function fakeDisco(): Promise<FakeDisco> {
  const fake = await FakeDisco.start();
  cleanup.push(() => fake.close());
  return fake;
}

/** A client connected to `fake`, whose first connection is welcomed with `welcome`. */
async function connected(fake: FakeDisco, welcome: Message = {}, options: Partial<DiscoClientOptions> = {}) {
  const connecting = DiscoClient.connect({ host: '127.0.0.1', port: fake.port, name: 'test', logger: quietLogger, backoffMinMs: 20, backoffMaxMs: 50, ...options });
  const first = await fake.connection(fake.connections.length);
  await first.welcome(welcome);
  const client = await connecting;
  cleanup.push(() => client.close());
  return { client, first };
}

/** A watch whose snapshot `connection` answers with `endpoints`. */
async function watching(client: DiscoClient, connection: FakeConnection, sub: string, endpoints: Message[]) {
  const events: Array<WatchEvent & { at: number }> = [];
  const watch = client.require({ name: NAME }, (event) => events.push({ ...event, at: Date.now() }));
  await connection.answer('require', { sub, seq: 0, endpoints });
  return { watch: await watch, events };
}

/** Fails with `what` instead of hanging when `promise` does not settle in time. */
function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(`${what} did not settle in ${ms} ms`)))]);
}

describe('heartbeats', () => {
  it('notices a silent server after the heartbeat timeout, and dials again to resume', async () => {
    const fake = await fakeDisco();
    const timeout = 1000;
    const welcomedAt = Date.now();
    const { client, first } = await connected(fake, { heartbeat: { interval: 200, timeout } });
    const disconnected = new Promise<{ reason: string; at: number }>((resolve) => client.once('disconnected', (reason) => resolve({ reason, at: Date.now() })));
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

describe('requests in flight when the connection drops', () => {
  it('are sent again after a resume, and resolve with the new reply', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const listing = client.list(NAME);
    await first.op('list');
    first.destroy();
    const second = await fake.connection(1);
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
    await expect(within(listing, 'the list')).rejects.toMatchObject({ name: 'DiscoError', code: 'closed' });
    expect(client.state).toBe('closed');
  });

  it('are rejected when the server refuses the new session', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const listing = client.list();
    await first.op('list');
    first.destroy();
    const second = await fake.connection(1);
    await second.op('hello');
    second.send({ re: 0, ok: false, error: { code: 'unsupported_version', message: 'this server speaks version 2' } });
    await expect(within(listing, 'the list')).rejects.toMatchObject({ code: 'unsupported_version' });
    expect(client.state).toBe('closed');
  });

  it('are rejected when the server never answers them, past the request timeout', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake, {}, { requestTimeoutMs: 300 });
    const listing = client.list();
    await first.op('list');
    await expect(within(listing, 'the list')).rejects.toMatchObject({ code: 'timeout' });
    expect(client.state).toBe('ready');
  });
});

describe('large replies', () => {
  it('takes a require reply in parts, and a single server line far over 64 KiB', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const endpoints = many(2000);
    const requiring = client.require({ name: NAME });
    const request = await first.op('require');
    const parts = [0, 500, 1000, 1500].map((at, i) => ({ re: request.id, ok: true, ...(i === 0 ? { sub: 'r2', seq: 0 } : {}), endpoints: endpoints.slice(at, at + 500), more: i < 3 }));
    first.send(...parts);
    expect((await within(requiring, 'the require')).endpoints).toHaveLength(2000);

    const listing = client.list();
    const oneLine = many(6000, 'q');
    const list = await first.op('list');
    const reply = `${JSON.stringify({ re: list.id, ok: true, endpoints: oneLine })}\n`;
    expect(Buffer.byteLength(reply)).toBeGreaterThan(512 * 1024);
    first.send(reply);
    expect(await within(listing, 'the list')).toHaveLength(6000);
  });

  it('fetches every page of a list, following the cursor', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const all = many(2500);
    const listing = client.list(NAME);
    const pages: Message[] = [];
    pages.push(await first.answer('list', { endpoints: all.slice(0, 1000), next: 'c1' }));
    pages.push(await first.answer('list', { endpoints: all.slice(1000, 2000), next: 'c2' }));
    pages.push(await first.answer('list', { endpoints: all.slice(2000) }));
    expect(pages.map((p) => [p.name, p.after])).toEqual([[NAME, undefined], [NAME, 'c1'], [NAME, 'c2']]);
    expect((await within(listing, 'the list')).map((e) => e.id)).toEqual(all.map((e) => e.id));
  });

  it('fetches a 100,000-endpoint registry page by page, each line well under 64 KiB', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const all = many(100_000);
    const PAGE = 400;
    let longest = 0;
    first.socket.on('data', () => {
      for (const request of first.received.filter((m) => m.op === 'list' && !m.answered)) {
        request.answered = true;
        const at = request.after === undefined ? 0 : Number(request.after);
        const page = { re: request.id, ok: true, endpoints: all.slice(at, at + PAGE), ...(at + PAGE < all.length ? { next: String(at + PAGE) } : {}) };
        const line = `${JSON.stringify(page)}\n`;
        longest = Math.max(longest, Buffer.byteLength(line));
        first.send(line);
      }
    });
    const listed = await within(client.list(), 'the list', 60_000);
    expect(listed).toHaveLength(100_000);
    expect(listed[99_999]!.id).toBe('p99999');
    expect(first.received.filter((m) => m.op === 'list')).toHaveLength(100_000 / PAGE);
    expect(longest).toBeLessThan(64 * 1024);
  }, 90_000);
});

describe('after a server restart', () => {
  /** A watch of [A, B] on a server that then restarts; returns the new session's connection. */
  async function restarted(grace: number) {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const watch = await watching(client, first, 'r2', [ep('p1', '10.0.0.5'), ep('p2', '10.0.0.6')]);
    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's2', resumed: false, grace });
    return { client, second, ...watch };
  }

  it('holds an endpoint missing from the first snapshot, and tells nothing if it comes back in the grace', async () => {
    const { second, watch, events } = await restarted(5000);
    await second.answer('require', { sub: 'r9', seq: 0, endpoints: [ep('q1', '10.0.0.5')] });
    await sleep(100);
    expect(events).toEqual([]);
    expect(hosts(watch.endpoints)).toEqual(['10.0.0.5', '10.0.0.6']);
    second.send({ op: 'changed', sub: 'r9', seq: 1, add: [ep('q2', '10.0.0.6')], drop: [] });
    await second.op('ack');
    expect(events).toEqual([]);
    expect(watch.endpoints.map((e) => e.id)).toEqual(['q1', 'q2']);
  });

  it('tells the drop of an endpoint that does not come back, once the grace has run out', async () => {
    const grace = 400;
    const { second, watch, events } = await restarted(grace);
    await second.answer('require', { sub: 'r9', seq: 0, endpoints: [ep('q1', '10.0.0.5')] });
    const snapshotAt = Date.now();
    const drop = await eventually(() => events.find((e) => e.drop.length > 0), 5000, 'the drop');
    expect(drop.at - snapshotAt).toBeGreaterThanOrEqual(grace - 10);
    expect(hosts(drop.drop)).toEqual(['10.0.0.6']);
    expect(events.flatMap((e) => e.add)).toEqual([]);
    expect(hosts(watch.endpoints)).toEqual(['10.0.0.5']);
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
    cleanup.push(() => client.close());
    expect(client.transitions.slice(0, 6)).toEqual([
      'idle → connecting: connect',
      'connecting → backing-off: connection refused (is `scs disco` running there?)',
      'backing-off → connecting: backoff over',
      'connecting → backing-off: connection refused (is `scs disco` running there?)',
      'backing-off → connecting: backoff over',
      'connecting → handshaking: stream open',
    ]);
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
        if (message.op === 'hello') reply({ re: 0, ok: true, session: 'm1', resumed: false, version: 1, heartbeat: { interval: 5000, timeout: 15000 }, grace: 10000 });
        if (message.op === 'require') reply({ re: message.id, ok: true, sub: 'r1', seq: 0, endpoints: [ep('p1', '10.0.0.5')] });
        if (message.op === 'bye') reply({ re: message.id, ok: true });
      }
    });
    const targets: unknown[] = [];
    const client = await DiscoClient.connect({
      host: 'disco.test',
      port: 9640,
      logger: quietLogger,
      dial: async (target) => (targets.push(target), clientEnd),
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
});
