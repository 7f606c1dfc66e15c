// The etcd mirror's ordering rules, with etcd played by a fake whose watch the test drives: what
// arrives late or out of turn (the watch behind a server's own writes, a full read racing the
// watch) never moves the mirror backwards. The real cluster is in test/integration/etcd-*.test.ts.

import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.ts';
import type { Change } from '../../src/registry/types.ts';
import type { EtcdClient, KeyValue, WatchEvent } from '../../src/server/etcd-client.ts';
import { EtcdRegistry } from '../../src/server/etcd-registry.ts';
import { quietLogger } from '../helpers/disco.ts';

class FakeEtcd {
  revision = 1;
  kvs: KeyValue[] = [];
  onEvents: ((events: WatchEvent[]) => void) | undefined;
  grant = async () => '7';
  keepAlive = async () => true;
  put = async () => ++this.revision;
  delete = async () => ++this.revision;
  range = async () => ({ kvs: this.kvs, revision: this.revision });
  watch(_prefix: string, _from: number, onEvents: (events: WatchEvent[]) => void) {
    this.onEvents = onEvents;
    return { ended: new Promise<string>(() => {}), cancel: () => {} };
  }
}

async function mirror() {
  const etcd = new FakeEtcd();
  const shared = new EtcdRegistry(etcd as unknown as EtcdClient, { prefix: '/scs/', ttlMs: 3000, logger: quietLogger });
  const registry = new Registry();
  const published: Change[] = [];
  await shared.start(registry, { changes: (changes) => published.push(...changes), sessionGone: () => {} });
  registry.require({ name: 'web.hello.dev', filter: {}, owner: 'watcher' });
  await shared.open('s1', 'test');
  return { etcd, shared, registry, published };
}

const input = {
  name: 'web.hello.dev',
  address: { host: '10.0.0.1', port: 80, protocol: 'tcp' as const },
  attributes: {},
  owner: 's1',
  key: 'p1',
};

describe('the etcd mirror', () => {
  it("takes a put the watch brings after the server's own delete for old news", async () => {
    const { etcd, shared, registry, published } = await mirror();
    const { id, changes } = await shared.provide(input);
    const putAt = etcd.revision;
    expect(changes.map((c) => c.kind)).toEqual(['add']);
    const dropped = await shared.drop(id);
    expect(dropped.map((c) => c.kind)).toEqual(['drop']);
    // The watch was behind: it now tells the put, then the delete.
    const key = `/scs/p/web.hello.dev/${id}`;
    const value = JSON.stringify({ session: 's1', key: 'p1', host: '10.0.0.1', port: 80, protocol: 'tcp', attrs: {} });
    etcd.onEvents!([{ type: 'put', kv: { key, value, modRevision: putAt, lease: '7' } }]);
    etcd.onEvents!([{ type: 'delete', kv: { key, value: '', modRevision: putAt + 1, lease: '0' } }]);
    expect(registry.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('applies what only the watch tells, in order, once', async () => {
    const { etcd, registry, published } = await mirror();
    const key = '/scs/p/web.hello.dev/other1';
    const value = JSON.stringify({ session: 's9', host: '10.0.0.2', port: 80, protocol: 'tcp', attrs: {} });
    etcd.onEvents!([{ type: 'put', kv: { key, value, modRevision: 5, lease: '8' } }]);
    etcd.onEvents!([{ type: 'put', kv: { key, value, modRevision: 5, lease: '8' } }]);
    expect(registry.list().map((p) => p.id)).toEqual(['other1']);
    etcd.onEvents!([{ type: 'delete', kv: { key, value: '', modRevision: 6, lease: '0' } }]);
    expect(registry.size).toBe(0);
    expect(published.map((c) => `${c.kind} ${c.provision.id}`)).toEqual(['add other1', 'drop other1']);
  });

  it('skips a provision whose value is not what disco writes, and goes on', async () => {
    const { etcd, registry } = await mirror();
    etcd.onEvents!([
      { type: 'put', kv: { key: '/scs/p/web.hello.dev/bad', value: '{"host": 1}', modRevision: 5, lease: '8' } },
      {
        type: 'put',
        kv: {
          key: '/scs/p/web.hello.dev/good',
          value: JSON.stringify({ session: 's9', host: 'h', port: 1, protocol: 'udp', attrs: {} }),
          modRevision: 6,
          lease: '8',
        },
      },
    ]);
    expect(registry.list().map((p) => p.id)).toEqual(['good']);
  });
});
