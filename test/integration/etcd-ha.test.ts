// disco highly available on a real three-member etcd cluster on loopback: losing a disco server or
// an etcd member loses nothing, and after etcd's leader is killed mid-churn every server converges.

import { describe, expect, it } from 'vitest';
import { DiscoClient, type Watch } from '../../src/client/client.ts';
import { EtcdBackend } from '../../src/server/etcd-backend.ts';
import { EtcdClient } from '../../src/server/etcd-client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { ETCD, EtcdCluster } from '../helpers/etcd-cluster.ts';
import { quietLogger, recordingLogger } from '../helpers/logging.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import { eventually, eventuallyAsync, sleep } from '../helpers/wait.ts';
import { WirePeer } from '../helpers/wire.ts';

const timers = { heartbeatInterval: 200, heartbeatTimeout: 1000, grace: 2000 };
const TTL_MS = timers.heartbeatTimeout + timers.grace;

async function cluster(): Promise<EtcdCluster> {
  const started = await EtcdCluster.start();
  onCleanup(() => started.stop());
  return started;
}

/** A disco server on etcd, reaching the members in the order given. */
async function sharedDisco(urls: string[], retryMs?: number): Promise<DiscoServer> {
  const backend = new EtcdBackend(new EtcdClient(urls, retryMs), { prefix: '/scs/', ttlMs: TTL_MS, logger: quietLogger });
  const server = await startDisco({ ...timers, backend });
  onCleanup(() => server.close());
  return server;
}

/** A disco server that reaches etcd's first member only through a link the test can take down. */
async function discoBehindLink(etcd: EtcdCluster): Promise<{ server: DiscoServer; link: CuttableProxy }> {
  const link = await CuttableProxy.start(Number(new URL(etcd.urls[0]!).port));
  onCleanup(() => link.close());
  const server = await sharedDisco([`http://127.0.0.1:${link.port}`]);
  onCleanup(() => link.heal()); // Before the server closes, should the test fail while the link is down.
  return { server, link };
}

async function client(servers: DiscoServer[], name: string, logger = quietLogger): Promise<DiscoClient> {
  const addresses = servers.map((server) => ({ host: '127.0.0.1', port: server.address().port }));
  const connected = await DiscoClient.connect({ ...addresses[0]!, addresses, name, logger, backoffMaxMs: 200 });
  onCleanup(() => connected.close());
  return connected;
}

/** Every provision in etcd, as `name host:port`, sorted. */
async function inEtcd(urls: string[]): Promise<string[]> {
  const { kvs } = await new EtcdClient(urls).range('/scs/p/');
  return kvs
    .map((kv) => {
      const value = JSON.parse(kv.value) as { host: string; port: number };
      return `${kv.key.split('/')[3]} ${value.host}:${value.port}`;
    })
    .sort();
}

const inRegistry = (server: DiscoServer) =>
  server.registry
    .list()
    .map((p) => `${p.name} ${p.address.host}:${p.address.port}`)
    .sort();

describe.skipIf(!ETCD)(`disco on etcd${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`, { timeout: 90_000 }, () => {
  it('keeps every provision and tells no drop when an etcd member is killed', async () => {
    const etcd = await cluster();
    // Server a reaches the member about to die first, so its calls and its watch must move on.
    const a = await sharedDisco(etcd.urls);
    const b = await sharedDisco([...etcd.urls].reverse());
    const drops: string[] = [];
    const watches: Watch[] = [];
    for (let i = 0; i < 10; i++) {
      const subscriber = await client([b, a], `sub${i}`);
      watches.push(await subscriber.require({ name: '*.web.ha.test' }, (event) => drops.push(...event.drop.map((e) => e.name))));
    }
    for (let i = 0; i < 20; i++)
      await (await client([a, b], `prov${i}`)).provide({ name: `s${i}.web.ha.test`, host: '10.0.0.1', port: 1000 + i });
    await eventually(() => watches.every((watch) => watch.endpoints.length === 20), 10_000, 'every subscriber to see 20');

    etcd.kill(0);
    for (let i = 20; i < 30; i++)
      await (await client([a, b], `prov${i}`)).provide({ name: `s${i}.web.ha.test`, host: '10.0.0.1', port: 1000 + i });
    await eventually(() => watches.every((watch) => watch.endpoints.length === 30), 15_000, 'every subscriber to see 30');
    // Past a lease's whole TTL: the leases were renewed through the members left.
    await sleep(TTL_MS + 1000);
    expect(drops).toEqual([]);
    expect(watches.map((watch) => watch.endpoints.length)).toEqual(Array(10).fill(30));
    expect(inRegistry(a)).toHaveLength(30);
    expect(inRegistry(b)).toEqual(inRegistry(a));
  });

  it('drops at once on goodbye, and registers again when etcd loses a session it holds', async () => {
    const etcd = await cluster();
    const a = await sharedDisco(etcd.urls);
    const b = await sharedDisco(etcd.urls);
    const events: string[] = [];
    const watcher = await client([b], 'watcher');
    const watch = await watcher.require({ name: '*.web.ha.test' }, (event) => {
      for (const e of event.add) events.push(`+${e.name}`);
      for (const e of event.drop) events.push(`-${e.name}`);
    });
    const leaving = await client([a], 'leaving');
    await leaving.provide({ name: 'bye.web.ha.test', host: '10.0.0.1', port: 1 });
    const told = recordingLogger();
    const staying = await client([a], 'staying', told.logger);
    await staying.provide({ name: 'kept.web.ha.test', host: '10.0.0.1', port: 2 });
    await eventually(() => watch.endpoints.length === 2, 10_000, 'both provisions');
    await leaving.close();
    // Well within a lease's TTL: the goodbye revoked the lease rather than letting it run out.
    await eventually(() => watch.endpoints.length === 1, TTL_MS / 2, 'the drop of the one that left');

    // etcd loses the lease of a session that is still connected: the server lets the session go, the
    // client opens another and provides again.
    const session = staying.sessionId!;
    const { kvs } = await new EtcdClient(etcd.urls).range(`/scs/s/${session}`);
    await new EtcdClient(etcd.urls).revoke((JSON.parse(kvs[0]!.value) as { lease: string }).lease);
    await eventually(() => staying.sessionId !== session && watch.endpoints.length === 1, 10_000, 'a new session');
    await eventually(() => inRegistry(a).length === 1 && inRegistry(b).length === 1, 10_000, 'the provision again');
    expect(events).toEqual(['+bye.web.ha.test', '+kept.web.ha.test', '-bye.web.ha.test', '-kept.web.ha.test', '+kept.web.ha.test']);
    // Told by the watch, as the session's key went with its lease; not later, by a failed renewal.
    expect(told.lines('warn')).toContain('disco: the session ended: its lease ended');
  });

  it('reads etcd whole again when its watch fell behind a compaction, and tells its subscribers what it missed', async () => {
    const etcd = await cluster();
    // Server a reaches etcd only through a link the test can take down; b reaches it directly.
    const { server: a, link } = await discoBehindLink(etcd);
    const b = await sharedDisco(etcd.urls);
    const provider = await client([b], 'provider');
    const leaving = await provider.provide({ name: 'db.web.ha.test', host: '10.0.0.1', port: 3306 });
    // b wrote it to etcd; a learns it from its watch, a moment later.
    await eventually(() => inRegistry(a).length === 1, 10_000, 'a to read the provision from etcd');
    const events: string[] = [];
    const watch = await (await client([a], 'watcher')).require({ name: 'db.web.ha.test' }, (event) => {
      for (const e of event.add) events.push(`+${e.host}`);
      for (const e of event.drop) events.push(`-${e.host}`);
    });
    expect(watch.endpoints.map((e) => e.host)).toEqual(['10.0.0.1']);

    // While a's watch is down, b changes etcd and etcd compacts those changes away.
    link.isolate();
    await provider.provide({ name: 'db.web.ha.test', host: '10.0.0.2', port: 3306 });
    await leaving.drop();
    const { revision } = await new EtcdClient(etcd.urls).range('/scs/');
    const compacted = await fetch(`${etcd.urls[1]}/v3/kv/compaction`, {
      method: 'POST',
      body: JSON.stringify({ revision, physical: true }),
    });
    expect(compacted.ok).toBe(true);
    link.heal();

    await eventually(() => events.length === 2, 10_000, 'the add and the drop a missed');
    expect(events.sort()).toEqual(['+10.0.0.2', '-10.0.0.1']);
    expect(watch.endpoints.map((e) => e.host)).toEqual(['10.0.0.2']);
    expect(inRegistry(a)).toEqual(inRegistry(b));
  });

  it('drops the provisions of a server cut off from etcd once their lease runs out, on the servers that still reach it', async () => {
    const etcd = await cluster();
    const { server: a, link } = await discoBehindLink(etcd);
    const b = await sharedDisco(etcd.urls);
    await (await client([a], 'provider')).provide({ name: 'db.web.ha.test', host: '10.0.0.1', port: 3306 });
    const watch = await (await client([b], 'watcher')).require({ name: 'db.web.ha.test' }, () => {});
    // a wrote it to etcd; b learns it from its watch, a moment later.
    await eventually(() => watch.endpoints.length === 1, 10_000, 'b to read the provision from etcd');
    expect(watch.endpoints.map((e) => e.host)).toEqual(['10.0.0.1']);

    // a cannot renew the lease any more: etcd lets it run out, and every server reading etcd drops what it held.
    link.isolate();
    await eventually(() => watch.endpoints.length === 0, TTL_MS + 7000, 'the drop');
    expect(inRegistry(b)).toEqual([]);
  });

  it('a server cut off from etcd does not revoke, once back, a session another server took over meanwhile (found by the soak)', async () => {
    const etcd = await cluster();
    const { server: a, link } = await discoBehindLink(etcd);
    const b = await sharedDisco(etcd.urls);
    const peer = await WirePeer.open(a.address().port);
    onCleanup(() => peer.destroy());
    peer.send({ op: 'hello', id: 0, version: 1 });
    const { session } = await peer.reply(0);
    const provide = { op: 'provide', id: 1, key: 'k1', name: 'db.web.ha.test', host: '10.0.0.1', port: 3306 };
    expect(await peer.request(provide)).toMatchObject({ ok: true });
    const watch = await (await client([b], 'watcher')).require({ name: 'db.web.ha.test' }, () => {});
    await eventually(() => watch.endpoints.length === 1, 10_000, 'b to read the provision from etcd');

    // a loses etcd, then its client, which resumes its session on b; a's grace runs out while it
    // cannot reach etcd, so the revoke it sends waits on etcd, and its mirror never saw b take over.
    link.isolate();
    peer.destroy();
    const moved = await WirePeer.open(b.address().port);
    onCleanup(() => moved.destroy());
    moved.send({ op: 'hello', id: 0, version: 1, session });
    expect(await moved.reply(0, 10_000)).toMatchObject({ ok: true, session });
    const alive = setInterval(() => moved.send({ op: 'ping' }), timers.heartbeatInterval);
    onCleanup(() => clearInterval(alive));
    await sleep(timers.grace + 1000);
    link.heal();
    // Past a lease's whole TTL after the heal: the session b holds, and its provision, are still there.
    await sleep(TTL_MS + 1000);
    expect(watch.endpoints.map((e) => e.port)).toEqual([3306]);
  });

  it('a client that a server cannot open a session for, for want of etcd, moves on to the next server', async () => {
    const etcd = await cluster();
    const cut = await sharedDisco(etcd.urls, 500);
    etcd.stop();
    const fallback = await startDisco();
    onCleanup(() => fallback.close());
    const moved = await client([cut, fallback], 'mover');
    expect(moved.connected).toBe(true);
    expect(fallback.sessionCount).toBe(1);
  });

  it('a watch on a member cut off from its leader ends, rather than going quiet', async () => {
    const etcd = await cluster();
    const watching = new EtcdClient([etcd.urls[2]!]).watch('/scs/', 1, () => {});
    await sleep(300);
    etcd.kill(0);
    etcd.kill(1);
    const quiet = sleep(15_000).then(() => 'still open');
    expect(await Promise.race([watching.ended, quiet])).not.toBe('still open');
  });

  it('an unprovide etcd cannot take is refused as unavailable, changes nothing, and can be sent again', async () => {
    const etcd = await cluster();
    const backend = new EtcdBackend(new EtcdClient(etcd.urls, 1000), { prefix: '/scs/', ttlMs: 60_000, logger: quietLogger });
    const server = await startDisco({ heartbeatInterval: 10_000, heartbeatTimeout: 30_000, grace: 2000, backend });
    onCleanup(() => server.close());
    const peer = await WirePeer.session(server.address().port);
    onCleanup(() => peer.destroy());
    const provide = { op: 'provide', id: 1, key: 'k1', name: 'web.hello.dev', host: '10.0.0.1', port: 80 };
    expect(await peer.request(provide)).toMatchObject({ ok: true });
    etcd.kill(1);
    etcd.kill(2);
    peer.send({ op: 'unprovide', id: 2, key: 'k1' });
    expect(await peer.reply(2, 20_000)).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(server.registry.size).toBe(1);
    await Promise.all([etcd.restart(1), etcd.restart(2)]);
    let id = 3;
    await eventuallyAsync(
      async () => {
        peer.send({ op: 'unprovide', id, key: 'k1' });
        return (await peer.reply(id++, 20_000)).ok === true;
      },
      30_000,
      'the unprovide to go through',
    );
    await eventually(() => server.registry.size === 0, 5000, 'the drop');
  });

  it('a hello that waits on etcd without a majority is answered unavailable, not cut by the hello timeout (found by the soak)', async () => {
    const etcd = await cluster();
    // etcd gives up after 1.5 s; the hello timeout, 0.5 s, only bounds how long a connection may take to say hello.
    const backend = new EtcdBackend(new EtcdClient(etcd.urls, 1500), { prefix: '/scs/', ttlMs: 60_000, logger: quietLogger });
    const server = await startDisco({ heartbeatInterval: 200, heartbeatTimeout: 30_000, grace: 2000, helloTimeout: 500, backend });
    onCleanup(() => server.close());
    etcd.kill(1);
    etcd.kill(2);
    const peer = await WirePeer.open(server.address().port);
    onCleanup(() => peer.destroy());
    peer.send({ op: 'hello', id: 1, version: 1 });
    expect(await peer.reply(1, 20_000)).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    // A connection that never says hello is still cut by it.
    const silent = await WirePeer.open(server.address().port);
    onCleanup(() => silent.destroy());
    expect(await silent.next((message) => message.op === 'error' || message.error !== undefined, 5000)).toMatchObject({
      error: { code: 'hello_timeout' },
    });
  });

  it('a put under a lease etcd lost fails alone, not the puts sent with it', async () => {
    const etcd = await cluster();
    const client = new EtcdClient(etcd.urls);
    const [live, lost] = await Promise.all([client.grant(10), client.grant(10)]);
    await client.revoke(lost);
    const [ok, refused] = await Promise.allSettled([client.put('/t/a', 'a', live), client.put('/t/b', 'b', lost)]);
    expect(ok.status).toBe('fulfilled');
    expect(refused).toMatchObject({ status: 'rejected', reason: { name: 'EtcdRefusal' } });
    expect((await client.range('/t/')).kvs.map((kv) => kv.key)).toEqual(['/t/a']);
  });

  it("converges to etcd's contents after etcd's leader is killed during churn", async () => {
    const etcd = await cluster();
    const a = await sharedDisco(etcd.urls);
    const b = await sharedDisco([...etcd.urls].reverse());
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => client(i % 2 ? [a, b] : [b, a], `churn${i}`)));
    let churning = true;
    let operations = 0;
    const churn = async (one: DiscoClient, lane: number) => {
      const held = [];
      for (let round = 0; churning; round++) {
        try {
          if (held.length > 3 || (held.length > 0 && round % 3 === 2)) await held.shift()!.drop();
          else held.push(await one.provide({ name: `c${lane}.churn.ha.test`, host: '10.0.1.1', port: 2000 + round }));
          operations++;
        } catch {
          // A request etcd could not take during the election: the churn goes on.
        }
      }
    };
    const lanes = clients.map((one, lane) => churn(one, lane));
    await eventually(() => operations > 200, 30_000, 'churn to begin');
    const leader = await eventuallyAsync(async () => ((await etcd.leader()) >= 0 ? etcd.leader() : undefined), 10_000, 'a leader');
    etcd.kill(leader);
    const before = operations;
    await eventually(() => operations > before + 200, 30_000, 'churn to go on under a new leader');
    churning = false;
    await Promise.all(lanes);

    const alive = etcd.urls.filter((_, i) => i !== leader);
    const truth = await eventuallyAsync(
      async () => {
        const stored = await inEtcd(alive);
        return JSON.stringify(inRegistry(a)) === JSON.stringify(stored) && JSON.stringify(inRegistry(b)) === JSON.stringify(stored)
          ? stored
          : undefined;
      },
      15_000,
      "both servers' registries to match etcd",
    );
    expect(truth.length).toBeGreaterThan(0);
    // What the clients still hold is what etcd holds: listed by either server, the same.
    const listed = (await clients[0]!.list()).map((e) => `${e.name} ${e.host}:${e.port}`).sort();
    expect(listed).toEqual(truth);
  });
});
