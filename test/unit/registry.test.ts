import { describe, expect, it } from 'vitest';
import { compileFilter } from '../../src/registry/filter.ts';
import { Registry } from '../../src/registry/registry.ts';
import type { Address } from '../../src/registry/types.ts';

const at = (host: string, port = 3306): Address => ({ host, port, protocol: 'tcp' });
const MYSQL = 'mysql.db.blog.prod';

describe('attribute filters', () => {
  it('matches exact values and requires every key', () => {
    const matches = compileFilter({ az: 'us-east-1a', tier: 'gold' });
    expect(matches({ az: 'us-east-1a', tier: 'gold', extra: 'x' })).toBe(true);
    expect(matches({ az: 'us-east-1a' })).toBe(false);
    expect(matches({ az: 'us-east-1b', tier: 'gold' })).toBe(false);
  });

  it('matches * globs and treats other characters literally', () => {
    const matches = compileFilter({ az: 'us-east-*', version: '1.*' });
    expect(matches({ az: 'us-east-1a', version: '1.2' })).toBe(true);
    expect(matches({ az: 'us-west-1a', version: '1.2' })).toBe(false);
    expect(matches({ az: 'us-east-1a', version: '102' })).toBe(false);
  });

  it('never reads inherited properties as attributes', () => {
    expect(compileFilter({ toString: '*' })({})).toBe(false);
  });
});

describe('registry', () => {
  it('answers a requirement at once with matching provisions in stable order', () => {
    const registry = new Registry();
    registry.provide({ name: MYSQL, address: at('10.0.0.6'), attributes: { az: 'a' }, owner: 's1' });
    registry.provide({ name: MYSQL, address: at('10.0.0.5'), attributes: { az: 'a' }, owner: 's2' });
    registry.provide({ name: MYSQL, address: at('10.0.0.7'), attributes: { az: 'b' }, owner: 's2' });
    registry.provide({ name: 'web.front.blog.prod', address: at('10.0.0.9', 80), attributes: {}, owner: 's3' });
    const { endpoints } = registry.require({ name: MYSQL, filter: { az: 'a' }, owner: 's9' });
    expect(endpoints.map((p) => p.address.host)).toEqual(['10.0.0.5', '10.0.0.6']);
  });

  it('yields change events for exactly the requirements a change concerns', () => {
    const registry = new Registry();
    const east = registry.require({ name: MYSQL, filter: { az: 'us-east-*' }, owner: 'a' }).requirement;
    const any = registry.require({ name: MYSQL, filter: {}, owner: 'b' }).requirement;
    registry.require({ name: MYSQL, filter: { az: 'eu-*' }, owner: 'c' });
    registry.require({ name: 'other.db.blog.prod', filter: {}, owner: 'd' });

    const { provision, changes } = registry.provide({ name: MYSQL, address: at('10.0.0.5'), attributes: { az: 'us-east-1a' }, owner: 'p' });
    expect(changes.map((c) => [c.requirement.id, c.kind, c.provision.id])).toEqual([
      [east.id, 'add', provision.id],
      [any.id, 'add', provision.id],
    ]);
    expect(registry.drop(provision.id).map((c) => [c.requirement.id, c.kind])).toEqual([
      [east.id, 'drop'],
      [any.id, 'drop'],
    ]);
    expect(registry.drop(provision.id)).toEqual([]);
  });

  it('stops telling a requirement once it is withdrawn', () => {
    const registry = new Registry();
    const { requirement } = registry.require({ name: MYSQL, filter: {}, owner: 'a' });
    expect(registry.unrequire(requirement.id)).toBe(true);
    expect(registry.provide({ name: MYSQL, address: at('h'), attributes: {}, owner: 'p' }).changes).toEqual([]);
    expect(registry.unrequire(requirement.id)).toBe(false);
  });

  it('counts versions so readers can tell the registry changed', () => {
    const registry = new Registry();
    const before = registry.version;
    const { provision } = registry.provide({ name: MYSQL, address: at('h'), attributes: {}, owner: 'p' });
    registry.drop(provision.id);
    expect(registry.version).toBe(before + 2);
  });

  it('keeps changes local to one name with 100,000 provisions and 10,000 requirements', () => {
    const registry = new Registry();
    for (let i = 0; i < 100_000; i++) {
      registry.provide({ name: `e${i % 1000}.db.blog.prod`, address: at(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`), attributes: { n: String(i) }, owner: 'p' });
    }
    for (let i = 0; i < 10_000; i++) registry.require({ name: `e${i % 1000}.db.blog.prod`, filter: {}, owner: 's' });
    const { provision, changes } = registry.provide({ name: 'e7.db.blog.prod', address: at('192.0.2.1'), attributes: {}, owner: 'p' });
    expect(changes).toHaveLength(10);
    expect(changes.every((c) => c.requirement.name === 'e7.db.blog.prod' && c.provision === provision)).toBe(true);
    expect(registry.lookup('e7.db.blog.prod')).toHaveLength(101);
    expect(registry.size).toBe(100_001);
  });

  it('lists by name in stable order', () => {
    const registry = new Registry();
    registry.provide({ name: 'b.x.y.z', address: at('h2'), attributes: {}, owner: 'p' });
    registry.provide({ name: 'a.x.y.z', address: at('h1'), attributes: {}, owner: 'p' });
    registry.provide({ name: 'b.x.y.z', address: at('h1'), attributes: {}, owner: 'p' });
    expect(registry.list().map((p) => `${p.name}@${p.address.host}`)).toEqual(['a.x.y.z@h1', 'b.x.y.z@h1', 'b.x.y.z@h2']);
    expect(registry.list((name) => name === 'a.x.y.z')).toHaveLength(1);
  });
});
