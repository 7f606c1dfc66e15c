// Members on servers that share etcd: a member stated on one server is listed on every one, and goes
// with its session's lease; what etcd holds under m/ is read with the wire's rules, and a record that
// breaks them is left out, with a warning, while the others are served.

import { describe, expect, it } from 'vitest';
import { EtcdClient } from '../../src/server/etcd-client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { ETCD } from '../helpers/etcd-cluster.ts';
import { etcd, pingingPeer, sharedDisco, TIMERS } from '../helpers/etcd-disco.ts';
import { record } from '../helpers/member.ts';
import { eventually } from '../helpers/wait.ts';

const timers = TIMERS;
const peer = (server: DiscoServer) => pingingPeer(server);

const hosts = (server: DiscoServer) =>
  server.members.book
    .list()
    .map((m) => m.host)
    .sort();

describe.skipIf(!ETCD)(`members on etcd${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`, { timeout: 30_000 }, () => {
  it('are listed on every server, kept under the session lease, and go with it when the agent is killed', async () => {
    const { urls } = await etcd();
    const a = await sharedDisco(urls);
    const b = await sharedDisco(urls);
    const agent = await peer(a.server);
    expect(await agent.request({ op: 'member', id: 1, ...record() })).toEqual({ re: 1, ok: true });
    // The server that took it lists it as soon as it answered.
    expect(hosts(a.server)).toEqual(['h1']);
    const observer = await peer(b.server);
    await eventually(() => hosts(b.server).length === 1, 5000, 'the other server to see the member');
    const listed = await observer.request({ op: 'members', id: 1 });
    expect(listed.members).toEqual(a.server.members.book.list());

    const reader = new EtcdClient(urls);
    onCleanup(() => reader.close());
    const stored = await reader.range('/scs/m/');
    expect(stored.kvs).toHaveLength(1);
    expect(stored.kvs[0]!.lease).not.toBe('0');

    const killedAt = Date.now();
    agent.destroy();
    await eventually(() => hosts(a.server).length === 0 && hosts(b.server).length === 0, 10_000, 'the member to go everywhere');
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(timers.grace);
    expect((await reader.range('/scs/m/')).kvs).toEqual([]);
  });

  it('leave out what breaks the rules in etcd, with a warning, and serve the rest', async () => {
    const { urls } = await etcd();
    const { server, log } = await sharedDisco(urls);
    const good = await peer(server);
    await good.request({ op: 'member', id: 1, ...record({ host: 'good' }) });
    const writer = new EtcdClient(urls);
    onCleanup(() => writer.close());
    const lease = await writer.grant(30);
    const at = '2026-12-06T18:00:00.000Z';
    const value = (over: Record<string, unknown>) => JSON.stringify({ record: { ...record(), ...over }, since: at, updated: at });
    await writer.put('/scs/m/forged1', value({ host: 'Not A Label' }), lease);
    await writer.put('/scs/m/forged2', '{"record": ', lease);
    await writer.put('/scs/m/forged3', value({ host: 'forever' }), '0');
    await writer.put('/scs/m/bad session', value({ host: 'spaced' }), lease);
    await writer.put('/scs/m/fine', value({ host: 'fine' }), lease);
    await eventually(() => hosts(server).includes('fine'), 5000, 'the well-formed member written to etcd');
    expect(hosts(server)).toEqual(['fine', 'good']);
    for (const why of [/forged1.*host: expected a label/, /forged2.*not JSON/, /forged3.*no lease/, /bad session.*session identifier/])
      expect(log.logged(why), String(why)).toBe(true);

    // A good member made bad is no longer served.
    await writer.put('/scs/m/fine', value({ phase: 'asleep' }), lease);
    await eventually(() => !hosts(server).includes('fine'), 5000, 'the spoiled member to go');
    expect(hosts(server)).toEqual(['good']);
  });
});
