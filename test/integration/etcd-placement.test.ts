// Placements on servers that share a real etcd: kept without a lease, so they outlive every session
// and a restart; a change on one server is pushed to a watcher on another; two servers racing to
// claim one service have one winner; and what etcd holds under placement/ is read with the wire's
// rules, a bad value left out with a warning while the rest is served.

import { describe, expect, it } from 'vitest';
import type { Place } from '../../src/protocol/placement.ts';
import { EtcdClient } from '../../src/server/etcd-client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { ETCD } from '../helpers/etcd-cluster.ts';
import { etcd, pingingPeer, sharedDisco } from '../helpers/etcd-disco.ts';
import { eventually } from '../helpers/wait.ts';

const peer = (server: DiscoServer, client = 'scs-test') => pingingPeer(server, client);

const wish = (service: string, host: string, more: Partial<Place> = {}): Place => ({ service, target: { host }, cause: 'move', ...more });
const placed = (server: DiscoServer) => server.placements.book.list().map((p) => `${p.service}@${p.target.host}#${p.revision}`);

describe.skipIf(!ETCD)(`placements on etcd${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`, { timeout: 30_000 }, () => {
  it('are kept without a lease, revision by revision, and outlive the sessions and the server that set them', async () => {
    const { urls } = await etcd();
    const first = await sharedDisco(urls);
    const mover = await peer(first.server, 'scs move');
    const one = await mover.request({ op: 'place', id: 1, placements: [wish('web.blog.prod', 'h1'), wish('db.blog.prod', 'h1')] });
    expect(one.placements).toMatchObject([
      { service: 'web.blog.prod', by: 'scs move', revision: 1 },
      { service: 'db.blog.prod', revision: 1 },
    ]);
    const two = await mover.request({ op: 'place', id: 2, placements: [wish('web.blog.prod', 'h2', { from: 'h1', revision: 1 })] });
    expect(two.placements).toMatchObject([{ target: { host: 'h2' }, from: 'h1', revision: 2 }]);
    expect(placed(first.server)).toEqual(['db.blog.prod@h1#1', 'web.blog.prod@h2#2']);
    const stale = await mover.request({ op: 'place', id: 3, placements: [wish('web.blog.prod', 'h3', { revision: 1 })] });
    expect(stale.error).toEqual({
      code: 'conflict',
      message:
        'web.blog.prod was not placed: it was expected at revision 1, but it is placed on host h2 now (move, by scs move, revision 2)',
    });

    const reader = new EtcdClient(urls);
    onCleanup(() => reader.close());
    const stored = await reader.range('/scs/placement/');
    expect(stored.kvs.map((kv) => [kv.key, kv.lease])).toEqual([
      ['/scs/placement/db.blog.prod', '0'],
      ['/scs/placement/web.blog.prod', '0'],
    ]);

    mover.send({ op: 'bye', id: 4 });
    await first.server.close();
    const second = await sharedDisco(urls);
    expect(placed(second.server)).toEqual(['db.blog.prod@h1#1', 'web.blog.prod@h2#2']);
    const observer = await peer(second.server);
    const read = await observer.request({ op: 'placement', id: 1, name: '*.web.blog.prod' });
    expect(read.placements).toEqual([two.placements[0]]);
  });

  it('changed on one server are pushed to a watcher on another', async () => {
    const { urls } = await etcd();
    const a = await sharedDisco(urls);
    const b = await sharedDisco(urls);
    const watcher = await peer(b.server);
    const watching = await watcher.request({ op: 'placement', id: 1, name: '*.*.blog.prod', watch: true });
    expect(watching).toMatchObject({ ok: true, placements: [], watch: expect.any(String) });
    const mover = await peer(a.server, 'scs move');
    await mover.request({ op: 'place', id: 1, placements: [wish('web.shop.prod', 'h1'), wish('web.blog.prod', 'h2', { from: 'h1' })] });
    const push = await watcher.next((m) => m.op === 'placed', 5000);
    expect(push).toEqual({
      op: 'placed',
      watch: watching.watch,
      placements: [expect.objectContaining({ service: 'web.blog.prod', revision: 1 })],
    });
    // Recorded as an event on the other server too.
    const events = b.server.events.ring.since(0, Date.now()).filter((event) => event.kind === 'placed' && event.name === 'web.blog.prod');
    expect(events.map(({ reason, detail, client }) => ({ reason, detail, client }))).toEqual([
      { reason: 'move', detail: 'host h2 (from h1)', client: 'scs move' },
    ]);
  });

  it('claimed by two servers at once have exactly one winner', async () => {
    const { urls } = await etcd();
    const a = await sharedDisco(urls);
    const b = await sharedDisco(urls);
    const agents = [await peer(a.server, 'agent h1'), await peer(b.server, 'agent h2')];
    for (let round = 0; round < 5; round++) {
      const service = `db${round}.blog.prod`;
      for (const [at, agent] of agents.entries()) {
        agent.send({ op: 'place', id: 10 + round, placements: [wish(service, `h${at + 1}`, { cause: 'claim', revision: 0 })] });
      }
      const replies = await Promise.all(agents.map((agent) => agent.reply(10 + round, 5000)));
      const won = replies.filter((reply) => reply.ok);
      expect(won, JSON.stringify(replies)).toHaveLength(1);
      const lost = replies.find((reply) => !reply.ok)!;
      expect(lost.error.code).toBe('conflict');
      const winner = won[0]!.placements[0];
      expect(lost.error.message).toBe(
        `${service} was not placed: it was expected at revision 0, but it is placed on host ${winner.target.host} now (claim, by ${winner.by}, revision 1)`,
      );
      await eventually(
        () => a.server.placements.book.get(service) && b.server.placements.book.get(service),
        5000,
        'both servers to see it',
      );
      expect(a.server.placements.book.get(service)).toEqual(winner);
      expect(b.server.placements.book.get(service)).toEqual(winner);
    }
  });

  it('leave out what breaks the rules in etcd, with a warning, and serve the rest', async () => {
    const { urls } = await etcd();
    const { server, log } = await sharedDisco(urls);
    const writer = new EtcdClient(urls);
    onCleanup(() => writer.close());
    const value = (over: Record<string, unknown> = {}) =>
      JSON.stringify({
        service: 'web.blog.prod',
        target: { host: 'h1' },
        cause: 'move',
        by: 'etcdctl',
        since: '2026-12-07T06:00:00.000Z',
        ...over,
      });
    await writer.put('/scs/placement/garbage.blog.prod', '\u0000not json at all', '0');
    await writer.put('/scs/placement/list.blog.prod', '[1, 2]', '0');
    await writer.put('/scs/placement/bad.blog.prod', value({ service: 'bad.blog.prod', target: { host: 'Not A Label' } }), '0');
    await writer.put('/scs/placement/other.blog.prod', value(), '0');
    await writer.put('/scs/placement/web.blog.prod', value(), '0');
    await eventually(() => server.placements.book.get('web.blog.prod'), 5000, 'the well-formed placement written to etcd');
    expect(placed(server)).toEqual(['web.blog.prod@h1#1']);
    for (const why of [
      /garbage\.blog\.prod.*not a JSON object/,
      /list\.blog\.prod.*service: /,
      /bad\.blog\.prod.*target\.host: expected a host name/,
      /other\.blog\.prod.*holds the placement of web\.blog\.prod/,
    ]) {
      expect(log.logged(why), String(why)).toBe(true);
    }
    // Still serving: a request after the garbage is answered, conditional on etcd's version of the key.
    const mover = await peer(server);
    const moved = await mover.request({ op: 'place', id: 1, placements: [wish('web.blog.prod', 'h2', { revision: 1 })] });
    expect(moved.placements).toMatchObject([{ target: { host: 'h2' }, revision: 2 }]);

    // A good placement made bad is no longer served.
    await writer.put('/scs/placement/web.blog.prod', '{"service": ', '0');
    await eventually(() => server.placements.book.size === 0, 5000, 'the spoiled placement to go');
  });
});
