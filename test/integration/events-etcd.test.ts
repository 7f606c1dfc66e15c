// Events on disco servers that share etcd: each server records the drops it sees with the reason it
// can honestly give. The server that ends a session says why (goodbye); another server sees only
// that the session's lease ended; a lease that etcd ends under the server holding it is an expired
// lease there; and the other servers are seen joining and leaving through the sessions they hold.

import { describe, expect, it } from 'vitest';
import { EtcdBackend } from '../../src/server/etcd-backend.ts';
import { EtcdClient } from '../../src/server/etcd-client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { ETCD, EtcdCluster } from '../helpers/etcd-cluster.ts';
import { quietLogger } from '../helpers/logging.ts';
import { type Message, WirePeer } from '../helpers/wire.ts';

const timers = { heartbeatInterval: 200, heartbeatTimeout: 1000, grace: 1000 };
const NAME = 'web.web.shop.dev';

async function etcd(): Promise<EtcdCluster> {
  const started = await EtcdCluster.start(1);
  onCleanup(() => started.stop());
  return started;
}

async function sharedDisco(urls: string[]): Promise<DiscoServer> {
  const backend = new EtcdBackend(new EtcdClient(urls), {
    prefix: '/scs/',
    ttlMs: timers.heartbeatTimeout + timers.grace,
    logger: quietLogger,
  });
  const server = await startDisco({ ...timers, backend });
  onCleanup(() => server.close());
  return server;
}

/** A session on `server` that pings as a client does, so that only the silent ones are taken for dead. */
async function session(server: DiscoServer, client: string): Promise<WirePeer> {
  const peer = await WirePeer.open(server.address().port);
  onCleanup(() => peer.destroy());
  expect(await peer.request({ op: 'hello', id: 0, version: 1, client })).toMatchObject({ ok: true });
  const timer = setInterval(() => peer.send({ op: 'ping' }), timers.heartbeatInterval);
  onCleanup(() => clearInterval(timer));
  return peer;
}

async function follower(server: DiscoServer): Promise<WirePeer> {
  const peer = await session(server, 'follower');
  expect(await peer.request({ op: 'events', id: 1 })).toMatchObject({ ok: true });
  return peer;
}

const nextEvent = (peer: WirePeer, test: (event: Message) => boolean, timeoutMs = 10_000) =>
  peer.next((m) => m.op === 'event' && test(m.event), timeoutMs).then((m) => m.event);
const dropped = (event: Message) => event.kind === 'endpoint-dropped';

describe.skipIf(!ETCD)(`events on etcd${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`, { timeout: 30_000 }, () => {
  it('say goodbye where the session ended and that its lease ended elsewhere; an unprovide is one everywhere', async () => {
    const { urls } = await etcd();
    const [a, b] = [await sharedDisco(urls), await sharedDisco(urls)];
    // B follows first: it sees A join when A's first session (its follower's) appears.
    const onB = await follower(b);
    const onA = await follower(a);
    const provider = await session(a, 'shop-web');
    const { provision } = await provider.request({ op: 'provide', id: 1, name: NAME, host: '127.0.0.1', port: 8080 });
    expect(await nextEvent(onB, (e) => e.kind === 'endpoint-added')).toMatchObject({ name: NAME, client: 'shop-web' });
    expect(await nextEvent(onB, (e) => e.kind === 'server-joined')).toMatchObject({ name: a.events.server, reason: 'first-session' });
    expect(await provider.request({ op: 'unprovide', id: 2, provision })).toMatchObject({ ok: true });
    expect(await nextEvent(onA, dropped)).toMatchObject({ reason: 'unprovide' });
    expect(await nextEvent(onB, dropped)).toMatchObject({ reason: 'unprovide', client: 'shop-web' });
    await provider.request({ op: 'provide', id: 3, name: NAME, host: '127.0.0.1', port: 8081 });
    provider.send({ op: 'bye', id: 4 });
    expect(await nextEvent(onA, dropped)).toMatchObject({ reason: 'goodbye', client: 'shop-web' });
    expect(await nextEvent(onB, dropped)).toMatchObject({ reason: 'lease-ended', client: 'shop-web' });
  });

  it('drop the endpoints of a server that went once their lease expires, and see that server leave', async () => {
    const { urls } = await etcd();
    const [a, b] = [await sharedDisco(urls), await sharedDisco(urls)];
    const onB = await follower(b);
    const provider = await session(a, 'shop-web');
    await provider.request({ op: 'provide', id: 1, name: NAME, host: '127.0.0.1', port: 8080 });
    await nextEvent(onB, (e) => e.kind === 'endpoint-added');
    // A stops renewing its leases, as a server that dies does; its client does not move to B.
    await a.close();
    provider.destroy();
    expect(await nextEvent(onB, dropped)).toMatchObject({ name: NAME, reason: 'lease-ended' });
    expect(await nextEvent(onB, (e) => e.kind === 'server-left')).toMatchObject({ name: a.events.server, reason: 'no-sessions' });
  });

  it('call a lease that etcd ended under the server holding it an expired lease, there', async () => {
    const { urls } = await etcd();
    const a = await sharedDisco(urls);
    const onA = await follower(a);
    const provider = await session(a, 'shop-web');
    const welcome = await provider.request({ op: 'provide', id: 1, name: NAME, host: '127.0.0.1', port: 8080 });
    expect(welcome).toMatchObject({ ok: true });
    await nextEvent(onA, (e) => e.kind === 'endpoint-added');
    // etcd ends the lease of the provider's session, as it does when the holder fails to renew it in time.
    const outside = new EtcdClient(urls);
    onCleanup(() => outside.close());
    const { kvs } = await outside.range('/scs/s/');
    const held = kvs.map((kv) => JSON.parse(kv.value)).find((value) => value.client === 'shop-web');
    await outside.revoke(held.lease);
    expect(await nextEvent(onA, dropped)).toMatchObject({ name: NAME, reason: 'lease-expired', client: 'shop-web' });
  });
});
