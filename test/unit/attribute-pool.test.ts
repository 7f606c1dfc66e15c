import { describe, expect, it } from 'vitest';
import { AttributePool } from '../../src/registry/attribute-pool.ts';
import { Registry } from '../../src/registry/registry.ts';

const at = (host: string) => ({ host, port: 80, protocol: 'tcp' as const });

describe('attribute pool', () => {
  it('gives every holder of one set the first copy, and lets the set go with its last holder', () => {
    const pool = new AttributePool();
    const first = { zone: 'us-east-1a-rack7', tier: 'backend-primary1' };
    expect(pool.hold(first)).toBe(first);
    expect(pool.hold({ zone: 'us-east-1a-rack7', tier: 'backend-primary1' })).toBe(first);
    expect(pool.hold({ zone: 'us-east-1b-rack7', tier: 'backend-primary1' })).not.toBe(first);
    expect(pool.size).toBe(2);
    pool.release(first);
    expect(pool.size).toBe(2);
    pool.release(first);
    expect(pool.size).toBe(1);
    const again = { zone: 'us-east-1a-rack7', tier: 'backend-primary1' };
    expect(pool.hold(again)).toBe(again);
  });

  it('keeps a set as given past its bound, and sets with no attributes share one empty set', () => {
    const pool = new AttributePool(1);
    pool.hold({ a: '1' });
    const unshared = { a: '2' };
    expect(pool.hold(unshared)).toBe(unshared);
    expect(pool.hold({ a: '2' })).not.toBe(unshared);
    pool.release(unshared); // Not the pool's: changes nothing.
    expect(pool.size).toBe(1);
    expect(pool.hold({})).toBe(pool.hold({}));
    expect(pool.size).toBe(1);
  });

  it("a registry's provisions share their name's string and their set of attributes, and keep their own values", () => {
    const registry = new Registry();
    const name = (text: string) => [...text].join(''); // A string of its own, as each wire line brings.
    const one = registry.provide({ name: name('db.blog.prod'), address: at('10.0.0.1'), attributes: { zone: 'a', tier: 'b' }, owner: 's' });
    const two = registry.provide({ name: name('db.blog.prod'), address: at('10.0.0.2'), attributes: { zone: 'a', tier: 'b' }, owner: 's' });
    expect(two.provision.attributes).toBe(one.provision.attributes);
    expect(two.provision).toEqual({
      id: two.provision.id,
      name: 'db.blog.prod',
      address: at('10.0.0.2'),
      attributes: { zone: 'a', tier: 'b' },
      owner: 's',
    });
    registry.drop(one.provision.id);
    expect(registry.lookup('db.blog.prod', { zone: 'a' }).map((p) => p.address.host)).toEqual(['10.0.0.2']);
    expect(registry.get(two.provision.id)).toBe(two.provision);
  });
});
