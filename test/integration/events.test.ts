// The `events` and `report` ops on a real disco server over real sockets: each drop carries its
// reason, a follower gets the replay then every new event, and one that stops reading is cut off.

import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DiscoServer } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { record } from '../helpers/member.ts';
import { eventually } from '../helpers/wait.ts';
import { type Message, WirePeer } from '../helpers/wire.ts';

const NAME = 'web.web.shop.dev';
let server: DiscoServer | undefined;
const peers: WirePeer[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await server?.close();
  server = undefined;
});

async function session(port: number, client = 'test'): Promise<WirePeer> {
  const peer = await WirePeer.open(port);
  peers.push(peer);
  peer.send({ op: 'hello', id: 0, version: 1, client });
  await peer.reply(0);
  return peer;
}

/** A session that follows the events of `name` (every event when absent), since `since` if given. */
async function follower(port: number, fields: Message = {}): Promise<WirePeer> {
  const peer = await session(port, 'follower');
  expect(await peer.request({ op: 'events', id: 1, ...fields })).toMatchObject({ ok: true, server: server!.events.server });
  return peer;
}

const nextEvent = (peer: WirePeer, kind: string, timeoutMs = 3000) =>
  peer.next((m) => m.op === 'event' && m.event.kind === kind, timeoutMs).then((m) => m.event);

async function provide(peer: WirePeer, id = 1, port = 8080): Promise<string> {
  const reply = await peer.request({ op: 'provide', id, name: NAME, host: '127.0.0.1', port });
  return reply.provision;
}

describe('disco events', () => {
  it('record an endpoint added, then dropped with the reason goodbye when its client says bye', async () => {
    server = await startDisco();
    const { port } = server.address();
    const watching = await follower(port);
    const provider = await session(port, 'shop-web');
    await provide(provider);
    expect(await nextEvent(watching, 'endpoint-added')).toMatchObject({
      name: NAME,
      reason: 'provide',
      detail: '127.0.0.1:8080/tcp',
      client: 'shop-web',
    });
    provider.send({ op: 'bye', id: 9 });
    expect(await nextEvent(watching, 'endpoint-dropped')).toMatchObject({ name: NAME, reason: 'goodbye', client: 'shop-web' });
  });

  it('send a reply before the events its own request caused, as before its pushes', async () => {
    server = await startDisco();
    const { port } = server.address();
    const peer = await follower(port);
    peer.messages.length = 0;
    peer.send({ op: 'provide', id: 5, name: NAME, host: '127.0.0.1', port: 8080 });
    await eventually(() => peer.messages.some((m) => m.op === 'event'), 3000, 'the event');
    const order = peer.messages.filter((m) => m.re === 5 || m.op === 'event').map((m) => (m.op === 'event' ? 'event' : 'reply'));
    expect(order).toEqual(['reply', 'event']);
  });

  it('record an unprovide as such', async () => {
    server = await startDisco();
    const { port } = server.address();
    const watching = await follower(port);
    const provider = await session(port);
    const provision = await provide(provider);
    expect(await provider.request({ op: 'unprovide', id: 2, provision })).toMatchObject({ ok: true });
    expect(await nextEvent(watching, 'endpoint-dropped')).toMatchObject({ reason: 'unprovide' });
  });

  it('record an agent joining as a member, not again when it states its record again, and leaving with its session, for its reason', async () => {
    server = await startDisco({ grace: 300 });
    const { port } = server.address();
    const watching = await follower(port, { name: '*.*.blog.prod' });
    const agent = await session(port, 'scs up blog');
    expect(await agent.request({ op: 'member', id: 1, ...record() })).toMatchObject({ ok: true });
    expect(await nextEvent(watching, 'member-joined')).toMatchObject({
      name: 'blog.prod',
      reason: 'registered',
      detail: 'h1 (project h1, 10.201.1.11, scs 0.3.0)',
    });
    expect(await agent.request({ op: 'member', id: 2, ...record({ phase: 'stopping' }) })).toMatchObject({ ok: true });
    agent.destroy();
    // The record stated again made no event: the next one is the member leaving, once the grace is out.
    expect(await nextEvent(watching, 'member-left')).toMatchObject({ name: 'blog.prod', reason: 'lost-socket' });
    const other = await follower(port, { name: '*.*.shop.dev' });
    const shop = await session(port, 'scs up shop');
    await shop.request({ op: 'member', id: 1, ...record({ stack: 'shop', environment: 'dev' }) });
    shop.send({ op: 'bye', id: 2 });
    expect(await nextEvent(other, 'member-left')).toMatchObject({ name: 'shop.dev', reason: 'goodbye' });
  });

  it('drop the endpoints of a client whose socket was destroyed once the grace runs out, as a lost socket', async () => {
    server = await startDisco({ grace: 300 });
    const { port } = server.address();
    const watching = await follower(port);
    const provider = await session(port);
    await provide(provider);
    await nextEvent(watching, 'endpoint-added');
    const lostAt = Date.now();
    provider.destroy();
    const dropped = await nextEvent(watching, 'endpoint-dropped');
    expect(dropped).toMatchObject({ name: NAME, reason: 'lost-socket' });
    // Not before the grace: until then the client could have resumed its session.
    expect(Date.parse(dropped.time)).toBeGreaterThanOrEqual(lostAt + 300);
  });

  it('drop the endpoints of a client that stopped answering pings as a heartbeat timeout, after the grace', async () => {
    server = await startDisco({ heartbeatInterval: 100, heartbeatTimeout: 400, grace: 200 });
    const { port } = server.address();
    const watching = await follower(port);
    // The follower answers the server's pings, so only the silent provider is taken for dead.
    const answer = setInterval(() => watching.send({ op: 'pong' }), 50);
    try {
      const provider = await session(port);
      await provide(provider);
      await nextEvent(watching, 'endpoint-added');
      // From here on it sends nothing: no pong, no request.
      const dropped = await nextEvent(watching, 'endpoint-dropped', 5000);
      expect(dropped).toMatchObject({ name: NAME, reason: 'heartbeat-timeout' });
      expect(provider.closed).toBe(true);
    } finally {
      clearInterval(answer);
    }
  });

  it('replay what the ring holds since a time, then the reply, then each new event; a pattern filters them', async () => {
    server = await startDisco();
    const { port } = server.address();
    const provider = await session(port, 'early');
    await provide(provider, 1, 8081);
    await provider.request({ op: 'provide', id: 2, name: 'db.db.other.dev', host: '127.0.0.1', port: 5432 });
    const before = Date.now();
    const late = await WirePeer.open(port);
    peers.push(late);
    late.send({ op: 'hello', id: 0, version: 1 });
    await late.reply(0);
    late.send({ op: 'events', id: 1, since: 0, name: '*.*.shop.dev' });
    const reply = await late.reply(1);
    expect(reply).toMatchObject({ ok: true, replayed: 1 });
    // The replay came before the reply, in order, and only what the pattern selects.
    const replayed = late.messages.filter((m) => m.op === 'event').map((m) => m.event);
    expect(replayed).toEqual([expect.objectContaining({ kind: 'endpoint-added', name: NAME, detail: '127.0.0.1:8081/tcp' })]);
    late.messages.length = 0;
    await provider.request({ op: 'provide', id: 3, name: NAME, host: '127.0.0.1', port: 8082 });
    expect(await nextEvent(late, 'endpoint-added')).toMatchObject({ detail: '127.0.0.1:8082/tcp' });
    // A follower since now gets no replay.
    const from = Date.now();
    const now = await follower(port, { since: from });
    const replayedNow = now.messages.filter((m) => m.op === 'event').map((m) => Date.parse(m.event.time));
    expect(replayedNow.every((time) => time >= from)).toBe(true);
    expect(before).toBeLessThanOrEqual(from);
  });

  it('cut off a follower that stops reading, with one events-end line, and keep no events for it', async () => {
    server = await startDisco({ maxQueueBytes: 16 * 1024, heartbeatTimeout: 60_000, heartbeatInterval: 30_000 });
    const { port } = server.address();
    // A raw socket that follows every event and then reads nothing.
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('{"op":"hello","id":0,"version":1}\n{"op":"events","id":1}\n');
    await eventually(() => server!.events.followerCount === 1, 3000, 'the socket to follow events');
    socket.pause();
    const provider = await session(port);
    // Adds and drops, 400 events a round, until the unread lines fill the kernel's buffers, back the
    // connection up past its bound, and the follower is cut.
    for (let round = 1; server.events.followerCount > 0 && round <= 200; round++) {
      const ids = Array.from({ length: 200 }, (_, i) => round * 1000 + i);
      for (const id of ids) provider.send({ op: 'provide', id, name: NAME, host: '127.0.0.1', port: 1000 + (id % 1000) });
      const provisions = (await Promise.all(ids.map((id) => provider.reply(id)))).map((reply) => reply.provision);
      for (const [at, provision] of provisions.entries()) provider.send({ op: 'unprovide', id: round * 1000 + 500 + at, provision });
      await Promise.all(provisions.map((_, at) => provider.reply(round * 1000 + 500 + at)));
    }
    expect(server.events.followerCount).toBe(0);
    // What it does read at last ends with why it was cut.
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    socket.resume();
    await eventually(() => text.includes('"events-end"'), 5000, 'the events-end line');
    const last = JSON.parse(text.trimEnd().split('\n').at(-1)!);
    expect(last).toMatchObject({ op: 'events-end', reason: 'slow-reader' });
    socket.destroy();
  });

  it('refuse to show events to a token without the observe scope, and show those of its patterns to one with it', async () => {
    server = await startDisco({
      tokens: [
        { token: 'reader', provide: [], require: ['*.*.*.*'] },
        { token: 'watcher', provide: [], require: [], observe: ['*.*.shop.dev'] },
        { token: 'shop', provide: ['*.*.shop.dev'], require: [] },
      ],
    });
    const { port } = server.address();
    const open = async (token: string) => {
      const peer = await WirePeer.open(port);
      peers.push(peer);
      expect(await peer.request({ op: 'hello', id: 0, version: 1, token })).toMatchObject({ ok: true });
      return peer;
    };
    const reader = await open('reader');
    expect(await reader.request({ op: 'events', id: 1 })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const watcher = await open('watcher');
    expect(await watcher.request({ op: 'events', id: 1 })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await watcher.request({ op: 'events', id: 2, name: '*.*.shop.dev' })).toMatchObject({ ok: true });
    const shop = await open('shop');
    await provide(shop);
    expect(await nextEvent(watcher, 'endpoint-added')).toMatchObject({ name: NAME });
  });

  it('take an agent report of plan steps, stamped with its client, bounded in size and in rate', async () => {
    server = await startDisco();
    const { port } = server.address();
    const watching = await follower(port);
    const agent = await session(port, 'scs-agent host-1');
    const step = { kind: 'step', reason: 'no-container', detail: 'create (no container yet)', ok: true };
    expect(await agent.request({ op: 'report', id: 1, service: 'web.shop.dev', steps: [step] })).toMatchObject({ ok: true });
    expect(await nextEvent(watching, 'step')).toMatchObject({
      name: 'web.shop.dev',
      reason: 'no-container',
      detail: 'create (no container yet)',
      ok: true,
      client: 'scs-agent host-1',
    });
    const tooMany = await agent.request({ op: 'report', id: 2, service: 'web.shop.dev', steps: Array(33).fill(step) });
    expect(tooMany).toMatchObject({ ok: false, error: { code: 'bad_request', message: 'steps: expected at most 32 steps' } });
    const badReason = await agent.request({ op: 'report', id: 3, service: 'web.shop.dev', steps: [{ ...step, reason: 'whim' }] });
    expect(badReason).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    // A burst of 64, then the bucket is empty: the rest of a fast burst is refused, whole.
    const replies = [];
    for (let id = 10; id < 14; id++)
      replies.push(await agent.request({ op: 'report', id, service: 'web.shop.dev', steps: Array(32).fill(step) }));
    expect(replies.filter((reply) => reply.ok === false).map((reply) => reply.error.code)).toContain('overloaded');
  });
});
