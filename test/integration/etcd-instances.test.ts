// Instances records on servers that share a real etcd: kept without a lease, so they outlive every
// session and a restart of every server; a drain on one server is pushed to a watcher on another;
// two changes racing on one service both land; and what etcd holds under instances/ is read with the
// wire's rules, a bad value left out with one warning while the rest is served.

import { describe, expect, it } from 'vitest';
import { EtcdClient } from '../../src/server/etcd-client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { ETCD } from '../helpers/etcd-cluster.ts';
import { etcd, pingingPeer, sharedDisco } from '../helpers/etcd-disco.ts';
import { eventually } from '../helpers/wait.ts';

const peer = (server: DiscoServer, client = 'scs-test') => pingingPeer(server, client);

const shown = (server: DiscoServer) =>
  server.instances.book
    .list()
    .map(
      (r) =>
        `${r.service}#${r.revision} x${r.replicas?.count ?? '-'} ${r.drained.map((d) => `${d.host ?? '*'}/${d.instance ?? '*'}`).join(',')}`,
    );

describe.skipIf(!ETCD)(`instances records on etcd${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`, { timeout: 30_000 }, () => {
  it('are kept without a lease and outlive the sessions and the server that set them', async () => {
    const { urls } = await etcd();
    const first = await sharedDisco(urls);
    const operator = await peer(first.server, 'scs scale');
    const scaled = await operator.request({ op: 'scale', id: 1, services: [{ service: 'web.blog.prod', count: 3 }] });
    expect(scaled.records).toMatchObject([
      { service: 'web.blog.prod', replicas: { count: 3, cause: 'scale' }, by: 'scs scale', revision: 1 },
    ]);
    const drained = await operator.request({ op: 'drain', id: 2, drains: [{ service: 'web.blog.prod', host: 'h1', drained: true }] });
    expect(drained.records).toMatchObject([{ replicas: { count: 3 }, drained: [{ host: 'h1', by: 'scs scale' }], revision: 2 }]);
    const stale = await operator.request({ op: 'scale', id: 3, services: [{ service: 'web.blog.prod', count: 1, revision: 1 }] });
    expect(stale.error).toEqual({
      code: 'conflict',
      message:
        'the instances of web.blog.prod were not changed: they were expected at revision 1, but it is at revision 2 now (by scs scale)',
    });

    const reader = new EtcdClient(urls);
    onCleanup(() => reader.close());
    const stored = await reader.range('/scs/instances/');
    expect(stored.kvs.map((kv) => [kv.key, kv.lease])).toEqual([['/scs/instances/web.blog.prod', '0']]);

    operator.send({ op: 'bye', id: 4 });
    await first.server.close();
    const second = await sharedDisco(urls);
    expect(shown(second.server)).toEqual(['web.blog.prod#2 x3 h1/*']);
    const observer = await peer(second.server);
    const read = await observer.request({ op: 'instances', id: 1, name: '*.web.blog.prod' });
    expect(read.records).toEqual(drained.records);
  });

  it('changed on one server are pushed to a watcher on another, and recorded as events there', async () => {
    const { urls } = await etcd();
    const a = await sharedDisco(urls);
    const b = await sharedDisco(urls);
    const watcher = await peer(b.server);
    const watching = await watcher.request({ op: 'instances', id: 1, name: '*.*.blog.prod', watch: true });
    expect(watching).toMatchObject({ ok: true, records: [], watch: expect.any(String) });
    const operator = await peer(a.server, 'scs drain');
    await operator.request({
      op: 'drain',
      id: 1,
      drains: [
        { service: 'web.shop.prod', drained: true },
        { service: 'web.blog.prod', instance: 1, drained: true },
      ],
    });
    const push = await watcher.next((m) => m.op === 'instances-changed', 5000);
    expect(push).toEqual({
      op: 'instances-changed',
      watch: watching.watch,
      records: [expect.objectContaining({ service: 'web.blog.prod', drained: [expect.objectContaining({ instance: 1 })], revision: 1 })],
    });
    await operator.request({ op: 'drain', id: 2, drains: [{ service: 'web.blog.prod', drained: false }] });
    await eventually(() => b.server.instances.book.get('web.blog.prod')?.revision === 2, 5000, 'the undrain on the other server');
    const events = b.server.events.ring.since(0, Date.now()).filter((event) => event.name === 'web.blog.prod');
    expect(events.map(({ kind, reason, detail, client }) => ({ kind, reason, detail, client }))).toEqual([
      { kind: 'drained', reason: 'drain', detail: 'instance 1', client: 'scs drain' },
      { kind: 'undrained', reason: 'undrain', detail: 'instance 1', client: 'scs drain' },
    ]);
  });

  it('changed by two servers at once keep both changes: a write that lost the race is made again from what etcd holds', async () => {
    const { urls } = await etcd();
    const a = await sharedDisco(urls);
    const b = await sharedDisco(urls);
    const peers = [await peer(a.server, 'one'), await peer(b.server, 'two')];
    for (let round = 0; round < 5; round++) {
      for (const [at, p] of peers.entries())
        p.send({ op: 'drain', id: 10 + round, drains: [{ service: 'web.blog.prod', host: `h${round}x${at}`, drained: true }] });
      const replies = await Promise.all(peers.map((p) => p.reply(10 + round, 5000)));
      expect(
        replies.every((reply) => reply.ok),
        JSON.stringify(replies),
      ).toBe(true);
    }
    await eventually(() => a.server.instances.book.get('web.blog.prod')?.drained.length === 10, 5000, 'all ten drains');
    expect(a.server.instances.book.get('web.blog.prod')?.revision).toBe(10);
  });

  it('leave out what breaks the rules in etcd, with one warning each, and serve the rest', async () => {
    const { urls } = await etcd();
    const { server, log } = await sharedDisco(urls);
    const writer = new EtcdClient(urls);
    onCleanup(() => writer.close());
    const value = (over: Record<string, unknown> = {}) =>
      JSON.stringify({ service: 'web.blog.prod', drained: [], by: 'etcdctl', since: '2026-12-07T06:00:00.000Z', ...over });
    await writer.put('/scs/instances/garbage.blog.prod', '\u0000not json at all', '0');
    await writer.put('/scs/instances/zero.blog.prod', value({ service: 'zero.blog.prod', replicas: { count: 101, cause: 'scale' } }), '0');
    await writer.put('/scs/instances/other.blog.prod', value(), '0');
    await writer.put('/scs/instances/web.blog.prod', value({ replicas: { count: 2, cause: 'scale' } }), '0');
    await eventually(() => server.instances.book.get('web.blog.prod'), 5000, 'the well-formed record written to etcd');
    expect(shown(server)).toEqual(['web.blog.prod#1 x2 ']);
    for (const why of [
      /garbage\.blog\.prod.*not a JSON object/,
      /zero\.blog\.prod.*replicas\.count: expected a number of instances from 0 to 100/,
      /other\.blog\.prod.*holds the instances of web\.blog\.prod/,
    ]) {
      expect(
        log.lines('warn').filter((line) => why.test(line)),
        String(why),
      ).toHaveLength(1);
    }
    // Still serving, and a change made on top of a bad value starts afresh, at etcd's version.
    const operator = await peer(server);
    const drained = await operator.request({ op: 'drain', id: 1, drains: [{ service: 'zero.blog.prod', drained: true }] });
    expect(drained.records).toMatchObject([{ service: 'zero.blog.prod', drained: [{ by: 'scs-test' }], revision: 2 }]);
    expect(drained.records[0].replicas).toBeUndefined();
  });
});
