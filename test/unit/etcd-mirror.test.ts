// The etcd mirror's ordering rules, with etcd played by a fake whose watch the test drives: what
// arrives late or out of turn (the watch behind a server's own writes, a full read racing the
// watch) never moves the mirror backwards. The real cluster is in test/integration/etcd-*.test.ts.

import { describe, expect, it, vi } from 'vitest';
import { Registry } from '../../src/registry/registry.ts';
import type { Change } from '../../src/registry/types.ts';
import type { Backend } from '../../src/server/backend.ts';
import { EtcdBackend } from '../../src/server/etcd-backend.ts';
import { type EtcdClient, EtcdRefusal, type KeyValue, type WatchEvent } from '../../src/server/etcd-client.ts';
import { EtcdRegistry } from '../../src/server/etcd-registry.ts';
import { recordingLogger } from '../helpers/logging.ts';
import { eventually } from '../helpers/wait.ts';

class FakeEtcd {
  revision = 1;
  kvs: KeyValue[] = [];
  onEvents: ((events: WatchEvent[]) => void) | undefined;
  /** What the next renewals answer; every lease renewed, in order. */
  alive: boolean | Error = true;
  renewed: string[] = [];
  canceled = 0;
  close = () => {};
  grant = async () => '7';
  keepAlive = async (lease: string) => {
    this.renewed.push(lease);
    if (this.alive instanceof Error) throw this.alive;
    return this.alive;
  };
  put = async (key: string, value: string, lease: string) => this.write({ key, value, modRevision: ++this.revision, lease });
  /** Keeps what was written, for a full read to find. */
  write(kv: KeyValue): number {
    this.kvs = [...this.kvs.filter((each) => each.key !== kv.key), kv];
    return kv.modRevision;
  }
  delete = async () => ++this.revision;
  revoked: string[] = [];
  revoke = async (lease: string) => void this.revoked.push(lease);
  /** Full reads made through `range` as the fake has it (a test that replaces it counts its own). */
  reads = 0;
  range = async () => {
    this.reads++;
    return { kvs: this.kvs, revision: this.revision };
  };
  /** The revision each watch started from; `endWatch` ends the latest, for the reason given. */
  watchedFrom: number[] = [];
  endWatch: (why: string) => void = () => {};
  watch(_prefix: string, from: number, onEvents: (events: WatchEvent[]) => void) {
    this.onEvents = onEvents;
    this.watchedFrom.push(from);
    const ended = new Promise<string>((resolve) => {
      this.endWatch = resolve;
    });
    return { ended, cancel: () => void this.canceled++ };
  }
}

async function mirror() {
  const etcd = new FakeEtcd();
  const log = recordingLogger();
  const shared = new EtcdRegistry(etcd as unknown as EtcdClient, { prefix: '/scs/', ttlMs: 3000, logger: log.logger });
  const registry = new Registry();
  const published: Change[] = [];
  const gone: string[] = [];
  await shared.start(registry, {
    changes: (changes) => published.push(...changes),
    sessionGone: (session, why) => gone.push(`${session}: ${why}`),
  });
  registry.require({ name: 'http.web.hello.dev', filter: {}, owner: 'watcher' });
  await shared.open('s1', 'test');
  return { etcd, shared, registry, published, gone, log };
}

const input = {
  name: 'http.web.hello.dev',
  address: { host: '10.0.0.1', port: 80, protocol: 'tcp' as const },
  attributes: {},
  owner: 's1',
  key: 'p1',
};

describe('the etcd mirror', () => {
  it('skips keys that are neither a session nor a provision, and provisions without a name or an id', async () => {
    const { etcd, registry, published } = await mirror();
    const value = JSON.stringify({ session: 's9', host: '10.0.0.2', port: 80, protocol: 'tcp', attrs: {} });
    etcd.onEvents!([
      { type: 'put', kv: { key: '/scs/x/http.web.hello.dev/p1', value, modRevision: 5, lease: '8' } },
      { type: 'put', kv: { key: '/scs/p/http.web.hello.dev', value, modRevision: 6, lease: '8' } },
    ]);
    expect(registry.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('skips a session whose value is not what disco writes, with a warning that names its key', async () => {
    const { etcd, log } = await mirror();
    etcd.onEvents!([{ type: 'put', kv: { key: '/scs/s/s9', value: '{"lease":', modRevision: 5, lease: '8' } }]);
    expect(log.lines('warn')).toEqual(['etcd: skipping "/scs/s/s9": its value is not JSON']);
  });

  it('drops nothing for an id it does not hold', async () => {
    const { shared, etcd } = await mirror();
    const before = etcd.revision;
    expect(await shared.drop('nope')).toEqual([]);
    expect(etcd.revision).toBe(before);
  });

  it('lets a session go when etcd no longer renews its lease, and warns when a renewal fails', async () => {
    const { etcd, gone, log } = await mirror();
    etcd.alive = new Error('etcd at http://127.0.0.1:1 did not answer: fetch failed');
    await eventually(() => log.lines('warn').length > 0, 3000, 'the warning');
    expect(log.lines('warn')[0]).toBe('lease renewal failed: etcd at http://127.0.0.1:1 did not answer: fetch failed');
    expect(gone).toEqual([]);
    etcd.alive = false;
    await eventually(() => gone.length > 0, 3000, 'the session to go');
    expect(gone).toEqual(['s1: lease-expired']);
  });

  it('renews the lease of each session it holds every third of the TTL', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const { etcd, shared } = await mirror();
      await shared.open('s2', 'test');
      etcd.renewed = [];
      vi.advanceTimersByTime(999);
      expect(etcd.renewed).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(etcd.renewed).toEqual(['7', '7']);
      vi.advanceTimersByTime(1000);
      expect(etcd.renewed).toHaveLength(4);
      shared.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps alive no session another server holds, or that etcd ended, however its connection comes and goes', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const { etcd, shared } = await mirror();
      await shared.open('s2', 'test');
      etcd.onEvents!([
        { type: 'put', kv: { key: '/scs/s/s2', value: JSON.stringify({ lease: '8', server: 'elsewhere' }), modRevision: 30, lease: '8' } },
        { type: 'delete', kv: { key: '/scs/s/s1', value: '', modRevision: 31, lease: '0' } },
      ]);
      etcd.renewed = [];
      await shared.end('s2');
      await shared.end('s404');
      shared.attached('s2');
      shared.attached('s404');
      shared.detached('s1');
      vi.advanceTimersByTime(3000);
      expect(etcd.renewed).toEqual([]);
      expect(etcd.revoked).toEqual([]);
      shared.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('can be stopped before it started', () => {
    const shared = new EtcdRegistry(new FakeEtcd() as unknown as EtcdClient, {
      prefix: '/scs/',
      ttlMs: 3000,
      logger: recordingLogger().logger,
    });
    expect(() => shared.stop()).not.toThrow();
  });

  it('drops its own provision and lets its session go when a full read after a compaction no longer finds them', async () => {
    const { etcd, shared, registry, published, gone } = await mirror();
    await shared.provide(input);
    expect(registry.size).toBe(1);
    etcd.kvs = [];
    etcd.revision += 5;
    etcd.endWatch('compacted');
    await eventually(() => registry.size === 0, 3000, 'the provision dropped');
    expect(published.map((c) => c.kind)).toEqual(['drop']);
    expect(gone).toEqual(['s1: lease-expired']);
  });

  it('renews a detached session once, at once, and no more; and one it does not keep, not at all', async () => {
    const { etcd, shared, log } = await mirror();
    etcd.renewed = [];
    shared.detached('s1');
    expect(etcd.renewed).toEqual(['7']);
    shared.detached('s1');
    etcd.alive = new Error('no leader');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Past a renewal period (a third of the 3 s TTL): nothing more was renewed.
    expect(etcd.renewed).toEqual(['7']);
    shared.attached('s1');
    shared.detached('s1');
    await eventually(() => log.lines('warn').length > 0, 3000, 'the warning');
    expect(log.lines('warn')).toEqual(['lease renewal failed: no leader']);
  });

  it('reads etcd whole after a put that got no answer, and finds it if it landed; not after a refusal', async () => {
    const { etcd, shared, registry } = await mirror();
    etcd.put = async (key, value, lease) => {
      etcd.write({ key, value, modRevision: ++etcd.revision, lease });
      throw new Error('etcd at http://127.0.0.1:2379 did not answer: timed out');
    };
    await expect(shared.provide(input)).rejects.toThrow('did not answer');
    await eventually(() => registry.size === 1, 3000, 'the provision read back');
    expect(registry.list()[0]).toMatchObject({ name: 'http.web.hello.dev', owner: 's1' });

    etcd.reads = 0;
    etcd.put = async () => {
      throw new EtcdRefusal('etcd: etcdserver: requested lease not found');
    };
    await expect(shared.provide(input)).rejects.toThrow('requested lease not found');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(etcd.reads).toBe(0);
  });

  it('lets a session it holds go when etcd deletes its key or another server takes it, and no other', async () => {
    const { etcd, shared, gone } = await mirror();
    await shared.open('s2', 'test');
    const other = JSON.stringify({ lease: '8', server: 'elsewhere', client: 'x' });
    etcd.onEvents!([
      { type: 'put', kv: { key: '/scs/s/s9', value: other, modRevision: 20, lease: '8' } },
      { type: 'delete', kv: { key: '/scs/s/s9', value: '', modRevision: 21, lease: '0' } },
      { type: 'delete', kv: { key: '/scs/s/s1', value: '', modRevision: 22, lease: '0' } },
      // Adopted: the same lease, renewed by the server that took it.
      { type: 'put', kv: { key: '/scs/s/s2', value: JSON.stringify({ lease: '7', server: 'elsewhere' }), modRevision: 23, lease: '7' } },
    ]);
    expect(gone).toEqual(['s1: lease-expired', 's2: replaced']);
    // s2 is another server's to renew now.
    etcd.renewed = [];
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(etcd.renewed).toEqual([]);
  });

  it('keeps what it wrote after a full read began, though the read does not show it', async () => {
    const { etcd, shared, registry } = await mirror();
    const readAt = etcd.revision;
    const before = [...etcd.kvs];
    await shared.provide(input);
    // A read from before the provision was written, as a read racing the write would be.
    etcd.range = async () => ({ kvs: before, revision: readAt });
    etcd.put = async () => {
      throw new Error('etcd at http://127.0.0.1:2379 did not answer: timed out');
    };
    await expect(shared.provide({ ...input, key: 'p2' })).rejects.toThrow('did not answer');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(registry.list().map((p) => p.owner)).toEqual(['s1']);
  });

  it('answers its own write before the watch can tell it, and tells it once', async () => {
    const { etcd, shared, published } = await mirror();
    // The watch brings the put before the put's own answer comes back.
    etcd.put = async (key, value, lease) => {
      const modRevision = etcd.write({ key, value, modRevision: ++etcd.revision, lease });
      etcd.onEvents!([{ type: 'put', kv: { key, value, modRevision, lease } }]);
      return modRevision;
    };
    const { changes } = await shared.provide(input);
    expect(changes.map((c) => c.kind)).toEqual(['add']);
    expect(published).toEqual([]);
  });

  it('hands a session it adopts the provisions it still has, with their keys', async () => {
    const { shared, gone } = await mirror();
    const kept = await shared.provide(input);
    const dropped = await shared.provide({ ...input, key: 'p2' });
    await shared.drop(dropped.id);
    expect(await shared.adopt('s1')).toEqual([{ id: kept.id, key: 'p1' }]);
    await shared.open('s3', 'test');
    expect(await shared.adopt('s3')).toEqual([]);
    expect(await shared.adopt('s404')).toBeUndefined();
    // Adopted again by the server that held it: not resumed elsewhere.
    expect(gone).toEqual([]);
  });

  it('stops following etcd when stopped', async () => {
    const { etcd, shared } = await mirror();
    shared.stop();
    expect(etcd.canceled).toBe(1);
  });

  it("takes a put the watch brings after the server's own delete for old news", async () => {
    const { etcd, shared, registry, published } = await mirror();
    const { id, changes } = await shared.provide(input);
    const putAt = etcd.revision;
    expect(changes.map((c) => c.kind)).toEqual(['add']);
    const dropped = await shared.drop(id);
    expect(dropped.map((c) => c.kind)).toEqual(['drop']);
    // The watch was behind: it now tells the session's own put, then the provision's put, then the delete.
    const session = JSON.stringify({ lease: '7', server: shared.serverId, client: 'test' });
    etcd.onEvents!([{ type: 'put', kv: { key: '/scs/s/s1', value: session, modRevision: putAt - 1, lease: '7' } }]);
    const key = `/scs/p/http.web.hello.dev/${id}`;
    const value = JSON.stringify({ session: 's1', key: 'p1', host: '10.0.0.1', port: 80, protocol: 'tcp', attrs: {} });
    etcd.onEvents!([{ type: 'put', kv: { key, value, modRevision: putAt, lease: '7' } }]);
    etcd.onEvents!([{ type: 'delete', kv: { key, value: '', modRevision: putAt + 1, lease: '0' } }]);
    expect(registry.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('adds nothing for its own put when the watch told of the key being deleted before the put answered', async () => {
    const { etcd, shared, registry, published } = await mirror();
    etcd.put = async (key, value, lease) => {
      const modRevision = etcd.write({ key, value, modRevision: ++etcd.revision, lease });
      // The lease ran out meanwhile: the watch tells the put, then the delete, before the put's answer.
      etcd.onEvents!([
        { type: 'put', kv: { key, value, modRevision, lease } },
        { type: 'delete', kv: { key, value: '', modRevision: ++etcd.revision, lease: '0' } },
      ]);
      return modRevision;
    };
    const { changes } = await shared.provide(input);
    expect(changes).toEqual([]);
    expect(registry.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('applies what only the watch tells, in order, once', async () => {
    const { etcd, registry, published, log } = await mirror();
    const key = '/scs/p/http.web.hello.dev/other1';
    const value = JSON.stringify({ session: 's9', host: '10.0.0.2', port: 80, protocol: 'tcp', attrs: {} });
    etcd.onEvents!([{ type: 'put', kv: { key, value, modRevision: 5, lease: '8' } }]);
    etcd.onEvents!([{ type: 'put', kv: { key, value, modRevision: 5, lease: '8' } }]);
    expect(registry.list().map((p) => p.id)).toEqual(['other1']);
    etcd.onEvents!([{ type: 'delete', kv: { key, value: '', modRevision: 6, lease: '0' } }]);
    expect(registry.size).toBe(0);
    expect(published.map((c) => `${c.kind} ${c.provision.id}`)).toEqual(['add other1', 'drop other1']);
    expect(log.lines('warn')).toEqual([]);
  });

  it('keeps a deleted key in mind while a full read runs, so that the read cannot bring it back', async () => {
    const { etcd, shared, registry, published } = await mirror();
    const key = '/scs/p/http.web.hello.dev/other1';
    const value = JSON.stringify({ session: 's9', host: '10.0.0.2', port: 80, protocol: 'tcp', attrs: {} });
    const put: KeyValue = { key, value, modRevision: 5, lease: '8' };
    etcd.onEvents!([{ type: 'put', kv: put }]);
    // A full read that started before the delete, and answers after the watch has moved past it.
    let answer: (read: { kvs: KeyValue[]; revision: number }) => void = () => {};
    etcd.range = () => new Promise((resolve) => (answer = resolve));
    etcd.put = async () => {
      throw new Error('etcd at http://127.0.0.1:2379 did not answer: timed out');
    };
    await expect(shared.provide(input)).rejects.toThrow('did not answer');
    etcd.onEvents!([{ type: 'delete', kv: { key, value: '', modRevision: 6, lease: '0' } }]);
    etcd.onEvents!([{ type: 'put', kv: { key: '/scs/x/unrelated', value: '', modRevision: 7, lease: '0' } }]);
    answer({ kvs: [put], revision: 5 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(registry.size).toBe(0);
    expect(published.map((c) => `${c.kind} ${c.provision.id}`)).toEqual(['add other1', 'drop other1']);
  });

  it('watches again from the revision after the last event it applied, and reads etcd whole first after a compaction', async () => {
    const { etcd, registry, log } = await mirror();
    const value = JSON.stringify({ session: 's9', host: '10.0.0.2', port: 80, protocol: 'tcp', attrs: {} });
    const first = etcd.watchedFrom.at(-1)!;
    etcd.reads = 0;
    etcd.onEvents!([{ type: 'put', kv: { key: '/scs/p/http.web.hello.dev/other1', value, modRevision: 40, lease: '8' } }]);
    etcd.endWatch('watch stream ended');
    await eventually(() => etcd.watchedFrom.length === 2, 3000, 'a second watch');
    expect(etcd.watchedFrom).toEqual([first, 41]);
    expect(etcd.reads).toBe(0);
    expect(log.lines('debug')).toContain('etcd watch stream ended; watching again');

    // Compacted past the watch: what happened meanwhile comes only from a full read.
    etcd.kvs = [{ key: '/scs/p/http.web.hello.dev/other2', value, modRevision: 50, lease: '8' }];
    etcd.revision = 60;
    etcd.endWatch('compacted');
    await eventually(() => etcd.watchedFrom.length === 3, 3000, 'a third watch');
    expect(etcd.watchedFrom[2]).toBe(61);
    expect(etcd.reads).toBe(1);
    expect(registry.list().map((p) => p.id)).toEqual(['other2']);
  });

  it('warns when the full read after a compaction fails, and watches again all the same', async () => {
    const { etcd, log } = await mirror();
    etcd.range = async () => {
      throw new Error('etcd at http://127.0.0.1:2379 did not answer: timed out');
    };
    etcd.endWatch('compacted');
    await eventually(() => etcd.watchedFrom.length === 2, 3000, 'a second watch');
    expect(log.lines('warn')).toEqual(['etcd: etcd at http://127.0.0.1:2379 did not answer: timed out']);
  });

  it('refuses a provision for a session it has no lease for', async () => {
    const { shared, etcd } = await mirror();
    const before = etcd.revision;
    await expect(shared.provide({ ...input, owner: 's404' })).rejects.toThrow(/^session s404 has no lease$/);
    expect(etcd.revision).toBe(before);
  });

  it('waits 100 ms before it watches again, so that a member that ends every watch at once is not asked in a loop', async () => {
    const { etcd, shared } = await mirror();
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const turns = async () => {
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      };
      etcd.endWatch('watch lost: connection reset');
      await turns();
      vi.advanceTimersByTime(99);
      await turns();
      expect(etcd.watchedFrom).toHaveLength(1);
      vi.advanceTimersByTime(1);
      await turns();
      expect(etcd.watchedFrom).toHaveLength(2);
    } finally {
      vi.useRealTimers();
      shared.stop();
    }
  });

  it('does not watch again once stopped', async () => {
    const { etcd, shared, log } = await mirror();
    shared.stop();
    etcd.endWatch('watch canceled');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(etcd.watchedFrom).toHaveLength(1);
    expect(log.lines('debug').filter((line) => line.includes('watching again'))).toEqual([]);
  });

  it('skips a provision whose value is not what disco writes, with a warning that names its key, and goes on', async () => {
    const { etcd, registry, published, log } = await mirror();
    etcd.onEvents!([
      { type: 'put', kv: { key: '/scs/p/http.web.hello.dev/bad', value: '{"host": 1}', modRevision: 5, lease: '8' } },
      {
        type: 'put',
        kv: {
          key: '/scs/p/http.web.hello.dev/good',
          value: JSON.stringify({ session: 's9', host: 'h', port: 1, protocol: 'udp', attrs: {} }),
          modRevision: 6,
          lease: '8',
        },
      },
    ]);
    expect(registry.list().map((p) => p.id)).toEqual(['good']);
    expect(published.map((c) => `${c.kind} ${c.provision.id}`)).toEqual(['add good']);
    expect(log.lines('warn')).toEqual(['etcd: skipping "/scs/p/http.web.hello.dev/bad": session: missing field']);
  });
});

describe('the etcd backend, through the interface the server asks', () => {
  async function onFakeEtcd() {
    const etcd = new FakeEtcd();
    const log = recordingLogger();
    const backend: Backend = new EtcdBackend(etcd as unknown as EtcdClient, { prefix: '/scs/', ttlMs: 3000, logger: log.logger });
    const registry = new Registry();
    await backend.start(registry, { changes: () => {}, sessionGone: () => {} });
    return { etcd, backend, registry, log };
  }

  it('opens a new session under a lease of its own, and adopts one whose lease lives, with its provisions and their keys', async () => {
    const { etcd, backend, registry } = await onFakeEtcd();
    const opening = backend.open(undefined, 'web-1', '');
    expect(opening).toBeInstanceOf(Promise);
    const opened = await opening;
    expect(opened.adopted).toBeUndefined();
    expect(etcd.kvs.map((kv) => kv.key)).toEqual([`/scs/s/${opened.id}`]);
    const { id } = await backend.provide({ ...input, owner: opened.id }, 'p1');
    expect(registry.lookup('http.web.hello.dev').map((provision) => provision.owner)).toEqual([opened.id]);
    expect(await backend.open(opened.id, 'web-1', '')).toEqual({ id: opened.id, adopted: [{ id, key: 'p1' }] });
    const unknown = await backend.open('s404', 'web-1', '');
    expect([unknown.id === 's404', unknown.adopted]).toEqual([false, undefined]);
  });

  it('ends a session by revoking its lease, with nothing to fan out until etcd tells; a revoke that fails is a warning', async () => {
    const { etcd, backend, log } = await onFakeEtcd();
    const opened = await backend.open(undefined, 'web-1', '');
    expect(backend.end(opened.id, [])).toEqual([]);
    await eventually(() => etcd.revoked.length > 0, 3000, 'the revoke');
    expect(etcd.revoked).toEqual(['7']);
    const failing = await backend.open(undefined, 'web-2', '');
    etcd.revoke = async () => {
      throw new Error('etcd at http://127.0.0.1:1 did not answer: fetch failed');
    };
    expect(backend.end(failing.id, [])).toEqual([]);
    await eventually(() => log.lines('warn').length > 0, 3000, 'the warning');
    expect(log.lines('warn')).toEqual([
      `could not end session ${failing.id} in etcd: etcd at http://127.0.0.1:1 did not answer: fetch failed`,
    ]);
    backend.stop();
  });
});
