// A requirement for a pattern (`*.*.hello.dev`) is a live mirror of part of the registry: the same
// protocol as a single name's (snapshot in parts, `changed` with seq and acks, resync for a slow
// reader, replay on resume), over the real server, by raw wire and by the real client, across a
// disco restart.

import { describe, expect, it } from 'vitest';
import { DiscoClient, type DiscoClientOptions, type Endpoint, type WatchEvent } from '../../src/client/client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { quietLogger } from '../helpers/logging.ts';
import { startOnPortOutsideEphemeral } from '../helpers/ports.ts';
import { provideMany, requireAll, WireView } from '../helpers/view.ts';
import { eventually } from '../helpers/wait.ts';
import { type Message, WirePeer } from '../helpers/wire.ts';

async function disco(options: Parameters<typeof startDisco>[0] = {}): Promise<DiscoServer> {
  const server = await startDisco(options);
  onCleanup(() => server.close());
  return server;
}

async function session(port: number): Promise<WirePeer> {
  const peer = await WirePeer.session(port);
  onCleanup(() => peer.destroy());
  return peer;
}

async function client(port: number, options: Partial<DiscoClientOptions> = {}): Promise<DiscoClient> {
  const c = await DiscoClient.connect({ host: '127.0.0.1', port, name: 'test', logger: quietLogger, backoffMaxMs: 200, ...options });
  onCleanup(() => c.close());
  return c;
}

/** Endpoints as `name@host:port`, sorted: what a view holds, whatever ids a server gave. */
const where = (endpoints: Iterable<Endpoint | Message>) => [...endpoints].map((e) => `${e.name}@${e.host}:${e.port}`).sort();

let nextId = 100;
function provide(peer: WirePeer, name: string, host: string, port = 80): Promise<Message> {
  return peer.request({ op: 'provide', id: nextId++, name, host, port });
}

describe('a pattern over the wire', () => {
  it('gets every matching endpoint at once, then the adds and drops of every matching name, in seq order', async () => {
    const server = await disco();
    const { port } = server.address();
    const provider = await session(port);
    const web = await provide(provider, 'web.web.hello.dev', '10.0.0.1', 8080);
    await provide(provider, 'db.db.hello.dev', '10.0.0.2', 5432);
    await provide(provider, 'web.web.hello.prod', '10.0.1.1', 8080);
    await provide(provider, 'web.web.shop.dev', '10.0.2.1', 8080);

    const subscriber = await session(port);
    const { view, parts } = await requireAll(subscriber, 1, '*.*.Hello.dev');
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ ok: true, seq: 0 });
    expect(parts[0]!.endpoints.map((e: Message) => e.name)).toEqual(['db.db.hello.dev', 'web.web.hello.dev']);

    await provide(provider, 'api.web.hello.dev', '10.0.0.3', 9000);
    await provide(provider, 'api.web.hello.prod', '10.0.1.3', 9000); // another environment: not pushed
    await provider.request({ op: 'unprovide', id: nextId++, provision: web.provision });
    await provide(provider, 'cache.db.hello.dev', '10.0.0.4', 6379);
    await view.until(subscriber, (v) => v.seq === 3);
    expect(view.applied).toEqual([1, 2, 3]);
    expect(where(view.endpoints.values())).toEqual([
      'api.web.hello.dev@10.0.0.3:9000',
      'cache.db.hello.dev@10.0.0.4:6379',
      'db.db.hello.dev@10.0.0.2:5432',
    ]);
    subscriber.send({ op: 'ack', sub: view.sub, seq: 3 });

    // The list op takes a pattern too, in the listing's order.
    const listed = await subscriber.request({ op: 'list', id: 2, name: '*.web.*.*' });
    expect(listed.endpoints.map((e: Message) => e.name)).toEqual([
      'api.web.hello.dev',
      'api.web.hello.prod',
      'web.web.hello.prod',
      'web.web.shop.dev',
    ]);
    expect(subscriber.messages.filter((m) => m.op === 'changed')).toEqual([]);
  });

  it('refuses a partial glob and a provided pattern with invalid_name, and keeps serving the connection', async () => {
    const server = await disco();
    const peer = await session(server.address().port);
    expect(await peer.request({ op: 'require', id: 1, name: 'web*.web.hello.dev' })).toEqual({
      re: 1,
      ok: false,
      error: {
        code: 'invalid_name',
        message: 'name: endpoint "web*" mixes "*" with other characters; a "*" must stand alone for a whole label',
      },
    });
    expect(await peer.request({ op: 'provide', id: 2, name: '*.web.hello.dev', host: '10.0.0.1', port: 80 })).toEqual({
      re: 2,
      ok: false,
      error: {
        code: 'invalid_name',
        message: 'name: endpoint "*" is a wildcard, which only a requirement may use; this needs an exact name',
      },
    });
    expect(await peer.request({ op: 'list', id: 3, name: '*.*' })).toMatchObject({ re: 3, ok: false, error: { code: 'invalid_name' } });
    expect(await peer.request({ op: 'require', id: 4, name: '*.*.*.*' })).toMatchObject({ re: 4, ok: true, endpoints: [] });
    expect(server.registry.size).toBe(0);
  });

  it('sends a snapshot of 5,000 endpoints over 50 names whole, in parts, in stable order', async () => {
    const server = await disco({ heartbeatInterval: 1000, heartbeatTimeout: 5000 });
    const { port } = server.address();
    const provider = await session(port);
    for (let n = 0; n < 50; n++) await provideMany(provider, `e${n}.r${n % 5}.hello.dev`, 100, { n: String(n) }, 10_000 * (n + 1));
    await provideMany(provider, 'e0.r0.hello.prod', 100, {}, 1_000_000);

    const subscriber = await session(port);
    const { view, parts } = await requireAll(subscriber, 1, '*.*.hello.dev');
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.slice(0, -1).every((part) => part.more === true)).toBe(true);
    expect(parts.at(-1)!.more).toBeUndefined();
    expect(view.endpoints.size).toBe(5000);
    const names = parts.flatMap((part) => part.endpoints.map((e: Message) => e.name));
    expect(new Set(names).size).toBe(50);
    expect(names).toEqual([...names].sort()); // name first: each name's endpoints together
  }, 30_000);

  it('collapses into one resync for a reader that does not ack, holding every matching name', async () => {
    const server = await disco({ maxUnacked: 3 });
    const { port } = server.address();
    const provider = await session(port);
    const subscriber = await session(port);
    const { view } = await requireAll(subscriber, 1, '*.*.hello.dev');
    for (let n = 0; n < 6; n++) await provide(provider, `e${n}.web.hello.dev`, `10.0.0.${n + 1}`);
    await provide(provider, 'e0.web.hello.prod', '10.0.1.1');
    await view.until(subscriber, (v) => v.resyncs === 1 && v.endpoints.size === 6);
    expect(where(view.endpoints.values())).toEqual(Array.from({ length: 6 }, (_, n) => `e${n}.web.hello.dev@10.0.0.${n + 1}:80`));
  });

  it('replays what a resumed session missed, for a pattern as for a name', async () => {
    const server = await disco({ grace: 5000 });
    const { port } = server.address();
    const provider = await session(port);
    // A session whose connection is lost while two matching names come.
    const subscriber = await WirePeer.open(port);
    onCleanup(() => subscriber.destroy());
    const hello = await subscriber.request({ op: 'hello', id: 0, version: 1 });
    const { view } = await requireAll(subscriber, 1, '*.web.hello.*');
    subscriber.destroy();
    await eventually(() => server.connectionCount === 1, 3000, 'the server to notice');
    await provide(provider, 'api.web.hello.dev', '10.0.0.3');
    await provide(provider, 'web.web.hello.prod', '10.0.1.1');
    const back = await WirePeer.open(port);
    onCleanup(() => back.destroy());
    back.send({ op: 'hello', id: 0, version: 1, session: hello.session });
    expect(await back.reply(0)).toMatchObject({ ok: true, resumed: true });
    const resumed = new WireView(view.sub);
    resumed.seq = view.seq;
    await resumed.until(back, (v) => v.seq === 2);
    expect(resumed.applied).toEqual([1, 2]);
    expect(where(resumed.endpoints.values())).toEqual(['api.web.hello.dev@10.0.0.3:80', 'web.web.hello.prod@10.0.1.1:80']);
  });
});

describe('a pattern through the client', () => {
  it('gets the snapshot, adds and drops of several names, and the right set after a disco restart', async () => {
    // A grace that outlasts a loaded machine's reconnects: a provider is held, not flapped, while it comes back.
    const options = { heartbeatInterval: 200, heartbeatTimeout: 2000, grace: 3000 };
    // It restarts on the same port: one from outside the ephemeral range, which no outgoing connection takes meanwhile.
    let server = await startOnPortOutsideEphemeral((port) => startDisco({ ...options, port }));
    onCleanup(() => server.close());
    const { port } = server.address();

    const providers = await client(port);
    await providers.provide({ name: 'web.web.hello.dev', host: '10.0.0.1', port: 8080 });
    await providers.provide({ name: 'web.web.hello.prod', host: '10.0.1.1', port: 8080 });
    const db = await providers.provide({ name: 'db.db.hello.dev', host: '10.0.0.2', port: 5432 });
    // A provider that will not come back after the restart.
    const leaving = await DiscoClient.connect({ host: '127.0.0.1', port, logger: quietLogger, backoffMaxMs: 200 });
    await leaving.provide({ name: 'old.web.hello.dev', host: '10.0.0.9', port: 80 });

    const subscriber = await client(port);
    const events: WatchEvent[] = [];
    const watch = await subscriber.require({ name: '*.*.hello.dev' }, (event) => events.push(event));
    expect(where(watch.endpoints)).toEqual([
      'db.db.hello.dev@10.0.0.2:5432',
      'old.web.hello.dev@10.0.0.9:80',
      'web.web.hello.dev@10.0.0.1:8080',
    ]);
    expect(watch.endpoints.map((e) => e.name)).toEqual(['db.db.hello.dev', 'old.web.hello.dev', 'web.web.hello.dev']);

    await providers.provide({ name: 'api.web.hello.dev', host: '10.0.0.3', port: 9000 });
    await providers.provide({ name: 'api.web.hello.prod', host: '10.0.1.3', port: 9000 });
    await db.drop();
    await eventually(() => events.length === 2, 3000, 'the add and the drop');
    expect(events.map((e) => [where(e.add), where(e.drop)])).toEqual([
      [['api.web.hello.dev@10.0.0.3:9000'], []],
      [[], ['db.db.hello.dev@10.0.0.2:5432']],
    ]);

    // disco restarts on the same port; `leaving` is gone by then, the others register again.
    events.length = 0;
    await server.close();
    await leaving.close();
    server = await startDisco({ ...options, port });
    await eventually(() => server.registry.size === 4 && server.registry.requirementCount === 1, 10_000, 'the clients to register again');
    await providers.provide({ name: 'cache.db.hello.dev', host: '10.0.0.4', port: 6379 });
    const expected = ['api.web.hello.dev@10.0.0.3:9000', 'cache.db.hello.dev@10.0.0.4:6379', 'web.web.hello.dev@10.0.0.1:8080'];
    await eventually(() => where(watch.endpoints).join() === expected.join(), 10_000, `the right set; have ${where(watch.endpoints)}`);
    // Told only what changed: the provider that left, and the new name; nothing flapped.
    expect(events.flatMap((e) => where(e.drop))).toEqual(['old.web.hello.dev@10.0.0.9:80']);
    expect(events.flatMap((e) => where(e.add))).toEqual(['cache.db.hello.dev@10.0.0.4:6379']);
  }, 20_000);

  it("rejects a partial glob with the server's invalid_name, and keeps no watch for it", async () => {
    const server = await disco();
    const subscriber = await client(server.address().port);
    await expect(subscriber.require({ name: 'web*.web.hello.dev' })).rejects.toMatchObject({
      code: 'invalid_name',
      message: 'name: endpoint "web*" mixes "*" with other characters; a "*" must stand alone for a whole label',
    });
    await expect(subscriber.list('*.*')).rejects.toMatchObject({ code: 'invalid_name' });
    expect(server.registry.requirementCount).toBe(0);
  });

  it('takes 5,000 endpoints over 50 names whole, and a list of the pattern agrees', async () => {
    const server = await disco({ heartbeatInterval: 1000, heartbeatTimeout: 5000 });
    const { port } = server.address();
    const provider = await session(port);
    for (let n = 0; n < 50; n++) await provideMany(provider, `e${n}.web.hello.dev`, 100, {}, 10_000 * (n + 1));
    const subscriber = await client(port);
    const watch = await subscriber.require({ name: '*.*.hello.dev' });
    expect(watch.endpoints).toHaveLength(5000);
    expect(new Set(watch.endpoints.map((e) => e.name)).size).toBe(50);
    const listed = await subscriber.list('*.web.hello.*');
    expect(listed.map((e) => e.id)).toEqual(watch.endpoints.map((e) => e.id));
  }, 30_000);
});
