// Issue 7 items 1 to 6 and 8 at the wire: large replies in parts, paged lists, prototype keys,
// byte limits, slow readers, deadlines and caps, goodbye lines, and the spec's finer points.

import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.ts';
import { DiscoServer, type DiscoServerOptions } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { dig, startDns } from '../helpers/dns.ts';
import { recordingLogger } from '../helpers/logging.ts';
import { provideMany, requireAll } from '../helpers/view.ts';
import { eventually, sleep } from '../helpers/wait.ts';
import { type Message, WirePeer } from '../helpers/wire.ts';

let server: DiscoServer | undefined;
const peers: WirePeer[] = [];
let log = recordingLogger();

async function start(options: Partial<DiscoServerOptions> = {}): Promise<number> {
  log = recordingLogger();
  server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000, logger: log.logger, ...options });
  return server.address().port;
}

async function session(port: number): Promise<WirePeer> {
  const peer = await WirePeer.session(port);
  peers.push(peer);
  return peer;
}

async function raw(port: number): Promise<WirePeer> {
  const peer = await WirePeer.open(port);
  peers.push(peer);
  return peer;
}

const logged = (pattern: RegExp) => log.logged(pattern);

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await server?.close();
  server = undefined;
});

describe('large replies (item 1, server side)', () => {
  it('sends a require reply of 2,000 endpoints in parts, each line under 64 KiB', async () => {
    const port = await start();
    const provider = await session(port);
    await provideMany(provider, 'web.front.shop', 2000, { az: 'us-east-1a', rack: 'r'.repeat(40) });
    const subscriber = await session(port);
    const lines: string[] = [];
    subscriber.socket.on('data', (text: string) => lines.push(...text.split('\n').filter(Boolean)));
    const { view, parts } = await requireAll(subscriber, 1, 'web.front.shop');
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]).toMatchObject({ re: 1, ok: true, seq: 0, more: true });
    expect(parts.slice(1).every((part) => part.sub === undefined && part.seq === undefined)).toBe(true);
    expect(parts.at(-1)!.more).toBeUndefined();
    expect(view.endpoints.size).toBe(2000);
    expect(Math.max(...lines.map((line) => Buffer.byteLength(line)))).toBeLessThan(64 * 1024);
  });

  it('sends a push of 2,000 drops in parts that share its seq', async () => {
    const port = await start();
    const provider = await session(port);
    await provideMany(provider, 'web.front.shop', 2000);
    const subscriber = await session(port);
    const { view } = await requireAll(subscriber, 1, 'web.front.shop');
    const lines: string[] = [];
    subscriber.socket.on('data', (text: string) => lines.push(...text.split('\n').filter(Boolean)));
    provider.send({ op: 'bye', id: 1 });
    await view.until(subscriber, (v) => v.endpoints.size === 0);
    expect(view.applied).toEqual([1]);
    expect(lines.length).toBeGreaterThan(1);
    expect(Math.max(...lines.map((line) => Buffer.byteLength(line)))).toBeLessThan(64 * 1024);
  });

  it('lists 100,000 endpoints in pages of at most 1,000, in order, every one once', async () => {
    // One session provides them all: past the default cap of 10,000 per session.
    const port = await start({ maxProvisionsPerSession: 100_000 });
    const provider = await session(port);
    for (let round = 0; round < 10; round++) await provideMany(provider, `svc${round}.db.blog.prod`, 10_000, {}, 100_000 * (round + 1));
    const reader = await session(port);
    const seen: Message[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await reader.request({ op: 'list', id: 10 + pages, ...(after ? { after } : {}) });
      expect(page.ok).toBe(true);
      expect(page.endpoints.length).toBeLessThanOrEqual(1000);
      seen.push(...page.endpoints);
      after = page.next;
      pages++;
    } while (after !== undefined);
    expect(seen).toHaveLength(100_000);
    expect(new Set(seen.map((e) => e.id)).size).toBe(100_000);
    const names = seen.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    const small = await reader.request({ op: 'list', id: 1, name: 'svc3.db.blog.prod', limit: 7 });
    expect(small.endpoints).toHaveLength(7);
    expect(small.next).toBeTypeOf('string');
  });

  it('answers a cursor it did not make with bad_request', async () => {
    const port = await start();
    const peer = await session(port);
    const reply = await peer.request({ op: 'list', id: 1, after: 'bm90IGEgY3Vyc29y' });
    expect(reply.error).toMatchObject({ code: 'bad_request', message: 'after: expected a cursor from a "next" field' });
  });
});

describe('attributes (items 2 and 3)', () => {
  it.each(['__proto__', 'constructor', 'prototype'])(
    'refuses the attribute key %s with a clear error, as attribute and as filter',
    async (key) => {
      const port = await start();
      const peer = await session(port);
      const provide = `{"op":"provide","id":1,"name":"a.b.c","host":"10.0.0.1","port":1,"attrs":{"${key}":"x"}}\n`;
      peer.send(provide);
      expect((await peer.reply(1)).error).toMatchObject({
        code: 'bad_request',
        message: `attrs: attribute key "${key}" is reserved; choose another name`,
      });
      peer.send(`{"op":"require","id":2,"name":"a.b.c","attrs":{"${key}":"nomatch"}}\n`);
      expect((await peer.reply(2)).error).toMatchObject({ code: 'bad_request' });
    },
  );

  it('limits a key=value to 255 bytes of UTF-8, and dig reads the longest one whole', async () => {
    const port = await start();
    const peer = await session(port);
    const key = 'k'.repeat(63);
    const tooLong = await peer.request({
      op: 'provide',
      id: 1,
      name: 'a.b.c',
      host: '10.0.0.1',
      port: 1,
      attrs: { [key]: '☃'.repeat(64) },
    });
    expect(tooLong.error).toMatchObject({ code: 'bad_request' });
    expect(tooLong.error.message).toMatch(/256 bytes/);
    const longest = await peer.request({
      op: 'provide',
      id: 2,
      name: 'a.b.c',
      host: '10.0.0.1',
      port: 1,
      attrs: { [key]: '☃'.repeat(63), z: 'é' },
    });
    expect(longest.ok).toBe(true);
    const dns = await startDns(server!.registry);
    try {
      const answer = await dig(dns.port, '_a._tcp.b.c.default.disco', 'TXT');
      expect(answer.status).toBe('NOERROR');
      expect(answer.raw).not.toMatch(/malformed/);
      expect(answer.answer.join(' ')).toContain(`${key}=${'\\226\\152\\131'.repeat(63)}`);
      const browse = await dig(dns.port, '_a._tcp.b.c.default.disco', 'PTR');
      expect(browse.status).toBe('NOERROR');
      expect(browse.raw).not.toMatch(/malformed/);
      expect(browse.answer).toHaveLength(1);
    } finally {
      await dns.server.close();
    }
  });
});

describe('slow readers (item 4)', () => {
  const big = Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`k${k}`, 'x'.repeat(180)]));

  // 4 KiB is under the socket's own high-water mark, where no 'drain' event comes.
  it.each([64 * 1024, 4 * 1024])(
    'never cuts a subscriber that keeps reading, and brings it up to date with resyncs (queue %i bytes)',
    async (maxQueueBytes) => {
      const port = await start({ maxQueueBytes });
      const reader = await session(port);
      const { view } = await requireAll(reader, 1, 'web.front.shop');
      const provider = await session(port);
      await provideMany(provider, 'web.front.shop', 2000, big);
      await view.until(reader, (v) => v.endpoints.size === 2000, 20000);
      expect(reader.closed).toBe(false);
      expect(view.resyncs).toBeGreaterThan(0); // It did fall behind.
      expect(view.applied).toEqual([...view.applied].sort((a, b) => a - b));
      expect(logged(/overflow|too slow|read nothing/)).toBe(false);
    },
  );

  it('cuts a peer that reads nothing for the heartbeat timeout, with an overloaded line, and keeps its session', async () => {
    const port = await start({ maxQueueBytes: 64 * 1024, heartbeatInterval: 300, heartbeatTimeout: 1000 });
    const slow = await session(port);
    const fast = await session(port);
    await slow.request({ op: 'require', id: 1, name: 'web.front.shop' });
    const { view } = await requireAll(fast, 1, 'web.front.shop');
    slow.socket.pause();
    const provider = await session(port);
    const keepAlive = setInterval(() => {
      provider.send({ op: 'ping' });
      fast.send({ op: 'ping' });
    }, 100);
    try {
      await provideMany(provider, 'web.front.shop', 500, big);
      await view.until(fast, (v) => v.endpoints.size === 500, 20000);
      await eventually(() => logged(/read nothing/), 5000, 'the slow peer to be cut');
      slow.socket.resume();
      await slow.waitClosed(5000);
      expect(slow.messages.at(-1)).toEqual({
        re: null,
        ok: false,
        error: { code: 'overloaded', message: 'the client read nothing for 1000 ms while the server had lines for it' },
      });
      expect(fast.closed).toBe(false);
      expect(server!.sessionCount).toBe(3); // The slow one waits in its grace, like any lost connection.
    } finally {
      clearInterval(keepAlive);
    }
  });

  it('serves a peer without a session that backlogs on its own pongs, once it reads again', async () => {
    const port = await start({ maxQueueBytes: 64 * 1024 });
    const peer = await raw(port);
    peer.socket.pause();
    // Far more pongs than loopback's socket buffers hold.
    const pings = 400_000;
    peer.send(`${JSON.stringify({ op: 'ping' })}\n`.repeat(pings));
    await sleep(500);
    peer.socket.resume();
    await eventually(() => peer.messages.length === pings, 20_000, `${pings} pongs`);
    expect(peer.messages.every((m) => m.op === 'pong')).toBe(true);
    expect(peer.closed).toBe(false);
  });

  it('collapses a backlog of unacknowledged pushes into a resync instead of ending the session, and replays it on resume', async () => {
    const port = await start({ maxUnacked: 50, grace: 5000 });
    const lazy = await raw(port);
    lazy.send({ op: 'hello', id: 0, version: 1 });
    const { session: sessionId } = await lazy.reply(0);
    const { view } = await requireAll(lazy, 1, 'web.front.shop');
    const provider = await session(port);
    for (let i = 0; i < 60; i++)
      await provider.request({ op: 'provide', id: i + 1, name: 'web.front.shop', host: '10.0.0.1', port: 1 + i });
    await view.until(lazy, (v) => v.endpoints.size === 60);
    expect(view.resyncs).toBeGreaterThan(0);
    expect(lazy.closed).toBe(false);

    // Gone without a single ack: on resume it is owed everything since its require.
    lazy.destroy();
    await eventually(() => server!.connectionCount === 1, 3000, 'the lost connection to be noticed');
    for (let i = 60; i < 120; i++)
      await provider.request({ op: 'provide', id: i + 1, name: 'web.front.shop', host: '10.0.0.1', port: 1 + i });
    const back = await raw(port);
    back.send({ op: 'hello', id: 0, version: 1, session: sessionId });
    expect(await back.reply(0)).toMatchObject({ ok: true, resumed: true });
    await view.until(back, (v) => v.endpoints.size === 120);
    expect(view.applied).toEqual([...view.applied].sort((a, b) => a - b));
  });
});

describe('deadlines and caps (item 5)', () => {
  it('closes a connection that only pings and never says hello, with hello_timeout', async () => {
    const port = await start({ helloTimeout: 300, heartbeatInterval: 100, heartbeatTimeout: 1000 });
    const peer = await raw(port);
    const pinger = setInterval(() => peer.send({ op: 'ping' }), 50);
    try {
      const cut = await peer.next((m) => m.ok === false, 3000);
      expect(cut).toMatchObject({ re: null, error: { code: 'hello_timeout', message: 'no "hello" within 300 ms of connecting' } });
      await peer.waitClosed();
    } finally {
      clearInterval(pinger);
    }
  });

  it('closes a connection whose line trickles in, with line_timeout, and serves the others', async () => {
    const port = await start({ lineTimeout: 400, heartbeatInterval: 100, heartbeatTimeout: 2000 });
    const bystander = await session(port);
    const loris = await session(port);
    loris.send(`{"op":"list","id":1,"name":"${'a'.repeat(60_000)}`);
    const trickle = setInterval(() => loris.send('a'), 50);
    try {
      const cut = await loris.next((m) => m.ok === false, 3000);
      expect(cut).toMatchObject({ re: null, error: { code: 'line_timeout', message: 'a line took more than 400 ms to arrive' } });
      await loris.waitClosed();
      expect(await bystander.request({ op: 'list', id: 2 })).toMatchObject({ ok: true });
    } finally {
      clearInterval(trickle);
    }
  });

  /** Connects from a chosen loopback address, so that tests can play several hosts. */
  async function from(port: number, localAddress: string): Promise<WirePeer> {
    const peer = await WirePeer.open(port, '127.0.0.1', localAddress);
    peers.push(peer);
    return peer;
  }

  it('caps connections per source address, with too_many_connections, and takes new ones once some close', async () => {
    const port = await start({ maxConnectionsPerSource: 3 });
    const held = await Promise.all([1, 2, 3].map(() => from(port, '127.0.0.2')));
    const refused = await from(port, '127.0.0.2');
    expect(await refused.next((m) => m.ok === false)).toMatchObject({ re: null, error: { code: 'too_many_connections' } });
    await refused.waitClosed();
    const other = await from(port, '127.0.0.3');
    other.send({ op: 'hello', id: 0, version: 1 });
    expect(await other.reply(0)).toMatchObject({ ok: true });
    held[0]!.destroy();
    await eventually(() => server!.connectionCount === 3, 3000, 'the closed connection to be counted out');
    const again = await from(port, '127.0.0.2');
    again.send({ op: 'hello', id: 0, version: 1 });
    expect(await again.reply(0)).toMatchObject({ ok: true });
  });

  it('caps connections in total', async () => {
    const port = await start({ maxConnections: 2 });
    await from(port, '127.0.0.2');
    await from(port, '127.0.0.3');
    const refused = await from(port, '127.0.0.4');
    expect(await refused.next((m) => m.ok === false)).toMatchObject({
      error: { code: 'too_many_connections', message: expect.stringMatching(/maximum of 2 connections/) },
    });
  });

  it('lets go of a refused peer that keeps its end open, after a second, and survives one that resets', async () => {
    const port = await start({ maxConnections: 1 });
    await from(port, '127.0.0.2');
    // allowHalfOpen: it does not close when the server's FIN comes, as a careless client would not.
    const stubborn = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const errors: string[] = [];
    stubborn.on('error', (error: NodeJS.ErrnoException) => void errors.push(error.code ?? error.message));
    let text = '';
    stubborn.on('data', (chunk: Buffer) => void (text += chunk.toString()));
    await once(stubborn, 'end');
    expect(JSON.parse(text)).toMatchObject({ re: null, ok: false, error: { code: 'too_many_connections' } });
    // The server's socket is destroyed a second after its refusal: what is sent to it then is refused.
    await sleep(1300);
    // The first write draws a reset from the closed socket, a later one fails on it.
    await eventually(() => errors.length > 0 || void stubborn.write('{"op":"ping","id":1}\n'), 3000, 'a write to fail');
    expect(['ECONNRESET', 'EPIPE']).toContain(errors[0]);
    stubborn.destroy();

    const resetting = connect({ port, host: '127.0.0.1' });
    resetting.on('error', () => {});
    await once(resetting, 'connect');
    resetting.resetAndDestroy();
    await sleep(100);
    expect(server!.connectionCount).toBe(1);
    const next = await from(port, '127.0.0.3');
    expect(await next.next((m) => m.ok === false)).toMatchObject({ error: { code: 'too_many_connections' } });
  });
});

describe('goodbye lines (item 6)', () => {
  it('closes at once, without a word, a connection that begins a TLS handshake at the plain listener', async () => {
    const port = await start();
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let answered = 0;
    socket.on('data', (chunk: Buffer) => (answered += chunk.length));
    // A ClientHello's first bytes: a handshake record, TLS 1.0 on the record layer. No newline.
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03]));
    await once(socket, 'close');
    expect(answered).toBe(0);
    expect(logged(/^closing 127\.0\.0\.1:\d+: it began a TLS handshake, and this listener is plain TCP$/)).toBe(true);
  });

  it('tells a connection replaced by a resumed session why it is closed', async () => {
    const port = await start();
    const first = await raw(port);
    first.send({ op: 'hello', id: 0, version: 1 });
    const welcome = await first.reply(0);
    const second = await raw(port);
    second.send({ op: 'hello', id: 0, version: 1, session: welcome.session });
    expect(await second.reply(0)).toMatchObject({ ok: true, resumed: true });
    expect(await first.next((m) => m.ok === false)).toEqual({
      re: null,
      ok: false,
      error: { code: 'replaced', message: 'another connection resumed this session' },
    });
    await first.waitClosed();
  });

  it('names a session in the log by the client it gave, or else by its address', async () => {
    const port = await start();
    const named = await raw(port);
    named.send({ op: 'hello', id: 0, version: 1, client: 'web-1' });
    const { session: namedSession } = await named.reply(0);
    const anonymous = await raw(port);
    anonymous.send({ op: 'hello', id: 0, version: 1 });
    const { session: anonymousSession } = await anonymous.reply(0);
    named.send({ op: 'bye', id: 1 });
    anonymous.send({ op: 'bye', id: 1 });
    await eventually(() => logged(new RegExp(`session ${anonymousSession} `)));
    await eventually(() => logged(new RegExp(`session ${namedSession} `)));
    expect(logged(new RegExp(`^session ${namedSession} \\(web-1\\) ended: goodbye$`))).toBe(true);
    expect(logged(new RegExp(`^session ${anonymousSession} \\(127\\.0\\.0\\.1:\\d+\\) ended: goodbye$`))).toBe(true);

    // A lost connection: its grace is logged when it starts, and why the session ended when it runs out.
    const lost = await raw(port);
    lost.send({ op: 'hello', id: 0, version: 1, client: 'web-2' });
    const { session: lostSession } = await lost.reply(0);
    lost.destroy();
    await eventually(
      () => logged(new RegExp(`^session ${lostSession} \\(web-2\\) ended: lost-socket \\(the grace of 300 ms ran out\\)$`)),
      3000,
      'the grace to run out',
    );
    expect(logged(new RegExp(`^session ${lostSession} lost its connection \\(lost-socket\\); grace 300 ms$`))).toBe(true);
  });

  it('answers a request that fails on a bug of its own with a plain error, logs it, and serves on', async () => {
    log = recordingLogger();
    const registry = new (class extends Registry {
      override provide(): never {
        throw new Error('a bug in provide');
      }
    })();
    server = new DiscoServer({ port: 0, logger: log.logger }, registry);
    const port = (await server.listen()).port;
    const peer = await session(port);
    expect(await peer.request({ op: 'provide', id: 4, name: 'web.front.shop', host: '10.0.0.1', port: 80 })).toEqual({
      re: 4,
      ok: false,
      error: { code: 'bad_request', message: 'request could not be handled' },
    });
    expect(log.lines('error').some((line) => line.includes('a bug in provide'))).toBe(true);
    expect(await peer.request({ op: 'require', id: 5, name: 'web.front.shop' })).toMatchObject({ re: 5, ok: true, endpoints: [] });
    // A request the peer got wrong is the peer's error, not the server's: answered, not logged as one.
    const errors = log.lines('error').length;
    expect(await peer.request({ op: 'require', id: 6, name: 'Not A Name' })).toMatchObject({ re: 6, ok: false });
    expect(log.lines('error')).toHaveLength(errors);
  });

  it('starts no grace for the connections its own shutdown closes', async () => {
    const port = await start();
    await session(port);
    await server!.close();
    await sleep(900); // three times the grace
    expect(log.lines().filter((line) => /^session /.test(line))).toEqual([]);
  });
});

describe('the spec, exactly (item 8)', () => {
  it.each([
    ['{"op":"provide","id":-1,"name":"a.b.c","host":"h","port":1}', null],
    ['{"op":"provide","id":1.5,"name":"a.b.c","host":"h","port":1}', null],
    ['{"op":"provide","id":"7","name":"a.b.c","host":"h","port":1}', null],
    ['{"op":"provide","id":7,"name":"a.b.c","host":"h","port":"x"}', 7],
    ['{"op":"ack","sub":"r1","seq":-1}', null],
    ['{"op":"ack","id":3,"sub":"r1","seq":1}', 3],
  ])('answers %s with re %s', async (line, re) => {
    const port = await start();
    const peer = await session(port);
    peer.send(`${line}\n`);
    const reply = await peer.next((m) => m.ok === false);
    expect(reply.re).toBe(re);
    expect(reply.error.code).toBe('bad_request');
  });

  it('counts a \\r toward the 64 KiB line limit', async () => {
    const port = await start();
    const fits = await session(port);
    fits.send(`${' '.repeat(64 * 1024 - 1)}\r\n{"op":"list","id":1}\n`);
    expect(await fits.reply(1)).toMatchObject({ ok: true });
    const over = await session(port);
    over.send(`${' '.repeat(64 * 1024)}\r\n`);
    expect(await over.next((m) => m.ok === false)).toMatchObject({ error: { code: 'line_too_long' } });
    // The operator is told whom it closed, and why.
    expect(log.entries.filter((entry) => entry.type === 'warn').map((entry) => entry.args.join(' '))).toEqual([
      expect.stringMatching(/^closing 127\.0\.0\.1:\d+: line longer than 65536 bytes$/),
    ]);
  });

  it('drops a silent peer within 10% after the heartbeat timeout, and pings an idle one within 10% of the interval', async () => {
    // Long enough that 10% is more than a loaded machine's scheduling delays.
    const interval = 1000;
    const timeout = 2000;
    const port = await start({ heartbeatInterval: interval, heartbeatTimeout: timeout });
    const watched = await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        await sleep(i * 170);
        const peer = await raw(port);
        peer.send({ op: 'hello', id: 0, version: 1 });
        await peer.reply(0);
        const lastSent = Date.now();
        const ping = peer.next((m) => m.op === 'ping', 5000).then(() => Date.now() - lastSent);
        await peer.waitClosed(5000);
        return { ping: await ping, closed: Date.now() - lastSent };
      }),
    );
    const figures = `ms after the last line: ${JSON.stringify(watched)}`;
    for (const { ping, closed } of watched) {
      expect(ping, figures).toBeGreaterThanOrEqual(interval * 0.9);
      expect(ping, figures).toBeLessThanOrEqual(interval * 1.1);
      expect(closed, figures).toBeGreaterThanOrEqual(timeout * 0.9);
      expect(closed, figures).toBeLessThanOrEqual(timeout * 1.1);
    }
    // Each is named in the debug log, by the address and port it came from.
    expect(log.entries.filter((entry) => /missed its heartbeats$/.test(entry.args.join(' '))).map((entry) => entry.args.join(' '))).toEqual(
      Array.from({ length: 5 }, () => expect.stringMatching(/^127\.0\.0\.1:\d+ missed its heartbeats$/)),
    );
  });
});
