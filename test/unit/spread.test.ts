// The spread of a service's instances over hosts, zones and data centers (src/placement/spread.ts):
// the same plan from the same members whatever their order, at most ⌈N/G⌉ in any group, a dead
// group's share taken by the others and said missing, and few instances moved when a host comes or goes.

import { describe, expect, it } from 'vitest';
import { instancesOn, type Spread, sharers, spreadInstances } from '../../src/placement/spread.ts';
import type { PlacedMember } from '../../src/protocol/placement.ts';

const member = (host: string, zone?: string, dc?: string): PlacedMember => ({
  host,
  attrs: { ...(zone ? { zone } : {}), ...(dc ? { dc } : {}) },
});
const perGroup = (plan: ReturnType<typeof spreadInstances>, groupOf: (host: string) => string) => {
  const counts = new Map<string, number>();
  for (const host of plan.hosts.values()) counts.set(groupOf(host), (counts.get(groupOf(host)) ?? 0) + 1);
  return [...counts.values()].sort();
};
const six = [member('a1', 'a'), member('a2', 'a'), member('b1', 'b'), member('b2', 'b'), member('c1', 'c'), member('c2', 'c')];
const zoneOfHost = (host: string) => host[0] as string;

describe('spreadInstances', () => {
  it('places every instance once, at most ⌈N/zones⌉ in a zone, for every count up to 12', () => {
    for (let count = 0; count <= 12; count++) {
      const plan = spreadInstances('web.blog.prod', count, { by: 'zone' }, six);
      expect([...plan.hosts.keys()]).toEqual(Array.from({ length: count }, (_, at) => at + 1));
      const counts = perGroup(plan, zoneOfHost);
      expect(Math.max(0, ...counts)).toBe(Math.ceil(count / 3));
      expect(Math.max(0, ...counts) - Math.min(...(counts.length === 3 ? counts : [0]))).toBeLessThanOrEqual(1);
      expect(plan.missing).toEqual([]);
    }
  });

  it('gives the same plan whatever order the members come in', () => {
    const one = spreadInstances('web.blog.prod', 7, { by: 'zone' }, six);
    const other = spreadInstances('web.blog.prod', 7, { by: 'zone' }, [...six].reverse());
    expect([...other.hosts]).toEqual([...one.hosts]);
  });

  it("lets the other zones take a dead zone's share, and says it is missing when over names it", () => {
    const alive = six.filter((m) => zoneOfHost(m.host) !== 'c');
    const spread: Spread = { by: 'zone', over: ['a', 'b', 'c'] };
    const plan = spreadInstances('web.blog.prod', 6, spread, alive);
    expect(plan.hosts.size).toBe(6);
    expect(perGroup(plan, zoneOfHost)).toEqual([3, 3]);
    expect(plan.missing).toEqual(['c']);
    // Without over, a zone nobody lives in is not known: nothing is missing.
    expect(spreadInstances('web.blog.prod', 6, { by: 'zone' }, alive).missing).toEqual([]);
  });

  it('leaves out hosts whose zone over does not name, and runs nothing when no host is left', () => {
    const plan = spreadInstances('web.blog.prod', 4, { by: 'zone', over: ['a'] }, six);
    expect(new Set(plan.hosts.values())).toEqual(new Set(['a1', 'a2']));
    const none = spreadInstances('web.blog.prod', 4, { by: 'zone', over: ['x'] }, six);
    expect(none.hosts.size).toBe(0);
    expect(none.missing).toEqual(['x']);
  });

  it('spreads by host, and by dc, with hosts lacking the attribute in one group of their own', () => {
    const byHost = spreadInstances('web.blog.prod', 6, { by: 'host' }, six);
    expect(six.map((m) => instancesOn(byHost, m.host).length)).toEqual([1, 1, 1, 1, 1, 1]);
    const dcs = [member('h1', undefined, 'east'), member('h2', undefined, 'west'), member('h3')];
    const byDc = spreadInstances('web.blog.prod', 3, { by: 'dc' }, dcs);
    expect(dcs.map((m) => instancesOn(byDc, m.host).length)).toEqual([1, 1, 1]);
  });

  it('counts a host once, even when two records name it', () => {
    const plan = spreadInstances('web.blog.prod', 2, { by: 'host' }, [member('h1', 'a'), member('h1', 'b'), member('h2', 'b')]);
    expect([...plan.hosts.values()].sort()).toEqual(['h1', 'h2']);
  });

  it('moves only the instances of a host that left, and few when one joins', () => {
    const before = spreadInstances('web.blog.prod', 12, { by: 'host' }, six);
    const after = spreadInstances(
      'web.blog.prod',
      12,
      { by: 'host' },
      six.filter((m) => m.host !== 'b2'),
    );
    const moved = [...before.hosts].filter(([instance, host]) => after.hosts.get(instance) !== host);
    // b2's two instances move; the other ten hosts' shares grow from 2 to 2 or 3, so at most a few more.
    expect(moved.filter(([, host]) => host === 'b2')).toHaveLength(2);
    expect(moved.length).toBeLessThanOrEqual(6);
  });

  it('puts the extra instance of different services in different zones', () => {
    const zones = [member('a1', 'a'), member('b1', 'b'), member('c1', 'c')];
    const extras = new Set(
      ['web', 'api', 'auth', 'cache', 'queue', 'mail'].map((service) => {
        const plan = spreadInstances(`${service}.blog.prod`, 4, { by: 'zone' }, zones);
        return zones.find((m) => instancesOn(plan, m.host).length === 2)?.host;
      }),
    );
    expect(extras.size).toBeGreaterThan(1);
  });
});

describe('sharers', () => {
  const me = member('h1', 'a');
  const other = (host: string, over: { phase?: 'starting' | 'running' | 'stopping' | 'failed'; given?: string[]; dc?: string } = {}) => ({
    host,
    attrs: { zone: 'b', ...(over.dc ? { dc: over.dc } : {}) },
    phase: over.phase ?? ('running' as const),
    ...(over.given ? { given: over.given } : {}),
  });

  it('are this host and the members starting or running, given the service, that its placement picks', () => {
    const members = [
      other('h1'),
      other('h2'),
      other('h3', { phase: 'starting' }),
      other('h4', { phase: 'stopping' }),
      other('h5', { phase: 'failed' }),
      other('h6', { given: ['db'] }),
      other('h7', { given: ['web', 'db'] }),
    ];
    expect(sharers('web', me, members, undefined).map((m) => m.host)).toEqual(['h1', 'h2', 'h3', 'h7']);
    const east = [other('h2', { dc: 'east' }), other('h3', { dc: 'west' })];
    // A placement by attributes that does not pick this host leaves it out, as it leaves out h3.
    expect(sharers('web', me, east, { attrs: { dc: 'east' } }).map((m) => m.host)).toEqual(['h2']);
  });
});
