// The memory backend, through the interface the server asks: what a lone server's sessions store
// lands in its registry at once (no promise, so a reply always precedes the pushes it causes),
// a session exists nowhere but here, and nothing is ever taken away from outside.

import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.ts';
import type { Change } from '../../src/registry/types.ts';
import type { Backend } from '../../src/server/backend.ts';
import { MemoryBackend } from '../../src/server/memory-backend.ts';

const address = (port: number) => ({ host: '10.0.0.1', port, protocol: 'tcp' as const });
const summary = (changes: Change[]) => changes.map((change) => `${change.kind} ${change.provision.name}:${change.provision.address.port}`);

async function started(): Promise<{ backend: Backend; registry: Registry; told: string[] }> {
  const registry = new Registry();
  const backend: Backend = new MemoryBackend();
  const told: string[] = [];
  await backend.start(registry, {
    changes: (changes) => told.push(...summary(changes)),
    sessionGone: (session, why) => told.push(`gone ${session}: ${why}`),
  });
  return { backend, registry, told };
}

/** The answer itself: a memory backend never makes the server wait. */
function now<T>(outcome: T | Promise<T>): T {
  expect(outcome).not.toBeInstanceOf(Promise);
  return outcome as T;
}

describe('the memory backend', () => {
  it('opens a new session every time, with an id of its own, and adopts none (not even one asked for by id)', async () => {
    const { backend } = await started();
    const first = now(backend.open(undefined, 'web-1', ''));
    const asked = now(backend.open(first.id, 'web-1', ''));
    expect(first.adopted).toBeUndefined();
    expect(asked.adopted).toBeUndefined();
    expect(asked.id).not.toBe(first.id);
    expect(first.id).toMatch(/^[\w-]{22}$/);
  });

  it('stores a provision in the registry at once, with the changes it makes to requirements', async () => {
    const { backend, registry } = await started();
    registry.require({ name: 'db.dev', filter: {}, owner: 'reader' });
    const { id, changes } = now(backend.provide({ name: 'db.dev', address: address(5432), attributes: {}, owner: 's1' }, 'k1'));
    expect(registry.lookup('db.dev').map((provision) => [provision.id, provision.owner])).toEqual([[id, 's1']]);
    expect(summary(changes)).toEqual(['add db.dev:5432']);
  });

  it('drops one provision with its changes, and an unknown one changes nothing', async () => {
    const { backend, registry } = await started();
    registry.require({ name: 'db.dev', filter: {}, owner: 'reader' });
    const kept = now(backend.provide({ name: 'db.dev', address: address(1), attributes: {}, owner: 's1' }, undefined));
    const dropped = now(backend.provide({ name: 'db.dev', address: address(2), attributes: {}, owner: 's1' }, undefined));
    expect(summary(now(backend.drop(dropped.id)))).toEqual(['drop db.dev:2']);
    expect(now(backend.drop(dropped.id))).toEqual([]);
    expect(registry.lookup('db.dev').map((provision) => provision.id)).toEqual([kept.id]);
  });

  it("ends a session by dropping the provisions it names, and leaves other sessions' alone", async () => {
    const { backend, registry } = await started();
    registry.require({ name: 'web.dev', filter: {}, owner: 'reader' });
    const s1 = now(backend.open(undefined, 'a', ''));
    const s2 = now(backend.open(undefined, 'b', ''));
    const mine = [1, 2].map((port) =>
      now(backend.provide({ name: 'web.dev', address: address(port), attributes: {}, owner: s1.id }, undefined)),
    );
    const theirs = now(backend.provide({ name: 'web.dev', address: address(3), attributes: {}, owner: s2.id }, undefined));
    backend.detached(s1.id);
    backend.attached(s1.id);
    expect(
      summary(
        backend.end(
          s1.id,
          mine.map((provision) => provision.id),
        ),
      ),
    ).toEqual(['drop web.dev:1', 'drop web.dev:2']);
    expect(registry.lookup('web.dev').map((provision) => provision.id)).toEqual([theirs.id]);
  });

  it('tells the server nothing unasked: every change comes back in an answer', async () => {
    const { backend, told } = await started();
    const session = now(backend.open(undefined, 'a', ''));
    const { id } = now(backend.provide({ name: 'x.dev', address: address(1), attributes: {}, owner: session.id }, 'k'));
    backend.detached(session.id);
    now(backend.drop(id));
    backend.end(session.id, []);
    backend.stop();
    expect(told).toEqual([]);
  });

  it('refuses to store anything before it is started, rather than losing it', () => {
    const backend = new MemoryBackend();
    expect(() => backend.provide({ name: 'x.dev', address: address(1), attributes: {}, owner: 's' })).toThrow(/not started/);
  });
});
