// Server rules that a plausible slip would break without the other tests noticing: whose
// provision a session may withdraw, exactly what an ack releases, one hello per connection,
// and a resume that arrives while the session's old connection is still open.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiscoServer } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { sleep } from '../helpers/wait.ts';
import { type Message, WirePeer } from '../helpers/wire.ts';

let server: DiscoServer;
let port: number;
const peers: WirePeer[] = [];

async function open(): Promise<WirePeer> {
  const peer = await WirePeer.open(port);
  peers.push(peer);
  return peer;
}

async function session(): Promise<{ peer: WirePeer; id: string }> {
  const peer = await open();
  const welcome = await peer.request({ op: 'hello', id: 0, version: 1 });
  return { peer, id: welcome.session };
}

/** What the server sent, heartbeats aside, before its reply to a `list`: pushes leave before later replies. */
async function drain(peer: WirePeer, id: number): Promise<Message[]> {
  await peer.request({ op: 'list', id, name: 'none.x.y' });
  return peer.messages.splice(0).filter((m) => m.op !== 'ping');
}

const start = async (options: Parameters<typeof startDisco>[0]) => {
  server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 10_000, ...options });
  port = server.address().port;
};

beforeEach(() => start({ grace: 30_000 }));

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await server.close();
});

describe('unprovide', () => {
  it("refuses another session's provision and leaves it registered", async () => {
    const owner = await session();
    const other = await session();
    const watcher = await session();
    const sub = await watcher.peer.request({ op: 'require', id: 1, name: 'web.front.shop' });
    const { provision } = await owner.peer.request({ op: 'provide', id: 1, name: 'web.front.shop', host: '10.0.0.1', port: 80 });
    await watcher.peer.next((m) => m.op === 'changed' && m.seq === 1);

    expect(await other.peer.request({ op: 'unprovide', id: 1, provision })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(server.registry.lookup('web.front.shop.default').map((p) => p.id)).toEqual([provision]);
    expect(await drain(watcher.peer, 2)).toEqual([]);

    // The owner still can, and that is the next push the watcher sees.
    expect(await owner.peer.request({ op: 'unprovide', id: 2, provision })).toMatchObject({ ok: true });
    expect(await watcher.peer.next((m) => m.op === 'changed')).toMatchObject({ sub: sub.sub, seq: 2, drop: [{ id: provision }] });
  });
});

describe('acks', () => {
  async function threePushes() {
    const provider = await session();
    const subscriber = await session();
    const { sub } = await subscriber.peer.request({ op: 'require', id: 1, name: 'web.front.shop' });
    for (let i = 1; i <= 3; i++) {
      await provider.peer.request({ op: 'provide', id: i, name: 'web.front.shop', host: '10.0.0.1', port: i });
      await subscriber.peer.next((m) => m.op === 'changed' && m.seq === i);
    }
    return { subscriber, sub };
  }

  /** Cuts the subscriber's connection and resumes its session; returns the pushes replayed. */
  async function resume(id: string): Promise<number[]> {
    const peer = await open();
    expect(await peer.request({ op: 'hello', id: 0, version: 1, session: id })).toMatchObject({ ok: true, resumed: true });
    return (await drain(peer, 1)).filter((m) => m.op === 'changed').map((m) => m.seq);
  }

  it('release every push up to and including the one acknowledged, and no later one', async () => {
    const { subscriber, sub } = await threePushes();
    subscriber.peer.send({ op: 'ack', sub, seq: 2 });
    await drain(subscriber.peer, 9); // The ack is handled before this reply is written.
    subscriber.peer.destroy();
    expect(await resume(subscriber.id)).toEqual([3]);
  });

  it('release nothing for an ack of seq 0, and everything for an ack of the last', async () => {
    const { subscriber, sub } = await threePushes();
    subscriber.peer.send({ op: 'ack', sub, seq: 0 });
    await drain(subscriber.peer, 9);
    subscriber.peer.destroy();
    expect(await resume(subscriber.id)).toEqual([1, 2, 3]);
    const again = await open();
    again.send({ op: 'hello', id: 0, version: 1, session: subscriber.id });
    await again.reply(0);
    again.send({ op: 'ack', sub, seq: 3 });
    await drain(again, 9);
    again.destroy();
    expect(await resume(subscriber.id)).toEqual([]);
  });

  it('keep a session that acknowledges every push, however many more than maxUnacked', async () => {
    await server.close();
    await start({ grace: 30_000, maxUnacked: 3 });
    const provider = await session();
    const subscriber = await session();
    const { sub } = await subscriber.peer.request({ op: 'require', id: 1, name: 'web.front.shop' });
    for (let i = 1; i <= 20; i++) {
      await provider.peer.request({ op: 'provide', id: i, name: 'web.front.shop', host: '10.0.0.1', port: i });
      const push = await subscriber.peer.next((m) => m.op === 'changed' && m.seq === i);
      subscriber.peer.send({ op: 'ack', sub, seq: push.seq });
    }
    await drain(subscriber.peer, 99);
    expect(subscriber.peer.closed).toBe(false);
    expect(server.sessionCount).toBe(2);
  });
});

describe('hello', () => {
  it('is refused a second time on one connection, which keeps its session', async () => {
    const { peer, id } = await session();
    expect(await peer.request({ op: 'hello', id: 1, version: 1 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await peer.request({ op: 'hello', id: 2, version: 1, session: id })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    expect(server.sessionCount).toBe(1);
    const { provision } = await peer.request({ op: 'provide', id: 3, name: 'web.front.shop', host: '10.0.0.1', port: 80 });
    expect(server.registry.lookup('web.front.shop.default')).toMatchObject([{ id: provision, owner: id }]);
  });
});

describe('a resume while the old connection is still open', () => {
  it('moves the session to the new connection, closes the old one, and drops nothing', async () => {
    await server.close();
    await start({ grace: 200 });
    const watcher = await session();
    const { sub } = await watcher.peer.request({ op: 'require', id: 1, name: 'web.front.shop' });
    const old = await session();
    const { provision } = await old.peer.request({ op: 'provide', id: 1, name: 'web.front.shop', host: '10.0.0.1', port: 80 });
    await watcher.peer.next((m) => m.op === 'changed' && m.seq === 1);

    const fresh = await open();
    expect(await fresh.request({ op: 'hello', id: 0, version: 1, session: old.id })).toMatchObject({
      ok: true,
      resumed: true,
      session: old.id,
    });
    await old.peer.waitClosed();

    // Well past the grace: the old connection's end must not have started it.
    await sleep(1000);
    expect(server.sessionCount).toBe(2);
    expect(server.registry.lookup('web.front.shop.default').map((p) => p.id)).toEqual([provision]);
    expect(await drain(watcher.peer, 2)).toEqual([]);

    // The new connection speaks for the session: its unprovide is the watcher's next push.
    expect(await fresh.request({ op: 'unprovide', id: 1, provision })).toMatchObject({ ok: true });
    expect(await watcher.peer.next((m) => m.op === 'changed')).toMatchObject({ sub, seq: 2, drop: [{ id: provision }] });
  });
});
