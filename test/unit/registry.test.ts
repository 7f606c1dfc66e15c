import { describe, expect, it } from 'vitest';
import { compileFilter } from '../../src/registry/filter.ts';
import { compareAddresses } from '../../src/registry/order.ts';
import { Registry, sortProvisions } from '../../src/registry/registry.ts';
import type { Address, Change, Provision } from '../../src/registry/types.ts';
import { mapSteps } from '../helpers/map-steps.ts';

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

  it('lets * match any character, newlines included', () => {
    expect(compileFilter({ note: 'a*z' })({ note: 'a\nb\nz' })).toBe(true);
  });

  it('never reads inherited properties as attributes', () => {
    expect(compileFilter({ toString: '*' })({})).toBe(false);
  });
});

describe('stable order', () => {
  const p = (id: string, host: string, port: number, protocol: 'tcp' | 'udp' = 'tcp'): Provision => ({
    id,
    name: 'x.y.z.w',
    address: { host, port, protocol },
    attributes: {},
    owner: 'o',
  });

  it('orders by host, then port as a number, then protocol, then id', () => {
    const sorted = [p('p1', 'h', 443), p('p2', 'h', 80, 'udp'), p('p3', 'h', 80), p('p4', 'g', 9000), p('p6', 'h', 80), p('p5', 'h', 80)];
    const expected = ['p4', 'p3', 'p5', 'p6', 'p2', 'p1'];
    // Every rotation of the input: a comparator that is not a true order shows up in some of them.
    for (let shift = 0; shift < sorted.length; shift++) {
      const input = [...sorted.slice(shift), ...sorted.slice(0, shift)];
      expect(
        sortProvisions(input).map((x) => x.id),
        `rotation ${shift}`,
      ).toEqual(expected);
      expect(
        sortProvisions([...input].reverse()).map((x) => x.id),
        `reversed rotation ${shift}`,
      ).toEqual(expected);
    }
  });

  it('compares addresses as a total order', () => {
    const a = { host: 'h', port: 80, protocol: 'tcp' as const };
    expect(compareAddresses(a, { ...a })).toBe(0);
    for (const b of [
      { ...a, host: 'i' },
      { ...a, port: 81 },
      { ...a, protocol: 'udp' as const },
    ]) {
      expect(compareAddresses(a, b)).toBeLessThan(0);
      expect(compareAddresses(b, a)).toBeGreaterThan(0);
    }
  });
});

describe('registry', () => {
  it('lists provisions at one address in the order they came', () => {
    const registry = new Registry();
    const first = registry.provide({ name: MYSQL, address: at('h'), attributes: {}, owner: 'a' }).provision;
    const second = registry.provide({ name: MYSQL, address: at('h'), attributes: {}, owner: 'b' }).provision;
    expect(first.id).not.toBe(second.id);
    expect(registry.lookup(MYSQL).map((x) => x.id)).toEqual([first.id, second.id]);
  });

  it('tells listeners of each add and drop, after the change', () => {
    const registry = new Registry();
    const heard: string[] = [];
    registry.addListener((kind, provision) => heard.push(`${kind} ${provision.id} size=${registry.size}`));
    const { provision } = registry.provide({ name: MYSQL, address: at('h'), attributes: {}, owner: 'a' });
    registry.drop(provision.id);
    registry.drop(provision.id);
    expect(heard).toEqual([`add ${provision.id} size=1`, `drop ${provision.id} size=0`]);
  });

  it('keeps the other provisions of a name when one is dropped, and forgets a name once empty', () => {
    const registry = new Registry();
    const a = registry.provide({ name: MYSQL, address: at('h1'), attributes: {}, owner: 'a' }).provision;
    const b = registry.provide({ name: MYSQL, address: at('h2'), attributes: {}, owner: 'a' }).provision;
    registry.drop(a.id);
    expect(registry.lookup(MYSQL).map((x) => x.id)).toEqual([b.id]);
    registry.drop(b.id);
    expect(registry.list()).toEqual([]);
  });

  it('keeps the other requirements of a name when one is withdrawn', () => {
    const registry = new Registry();
    const a = registry.require({ name: MYSQL, filter: {}, owner: 'a' }).requirement;
    const b = registry.require({ name: MYSQL, filter: {}, owner: 'b' }).requirement;
    expect(registry.unrequire(a.id)).toBe(true);
    expect(registry.provide({ name: MYSQL, address: at('h'), attributes: {}, owner: 'p' }).changes.map((c) => c.requirement.id)).toEqual([
      b.id,
    ]);
    expect(registry.requirementCount).toBe(1);
  });

  it('has no endpoints for a requirement it does not know', () => {
    expect(new Registry().endpointsOf('r404')).toEqual([]);
  });

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
      registry.provide({
        name: `e${i % 1000}.db.blog.prod`,
        address: at(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`),
        attributes: { n: String(i) },
        owner: 'p',
      });
    }
    for (let i = 0; i < 10_000; i++) registry.require({ name: `e${i % 1000}.db.blog.prod`, filter: {}, owner: 's' });
    const { result, steps } = mapSteps(() =>
      registry.provide({ name: 'e7.db.blog.prod', address: at('192.0.2.1'), attributes: {}, owner: 'p' }),
    );
    const { provision, changes } = result;
    expect(changes).toHaveLength(10);
    expect(changes.every((c) => c.requirement.name === 'e7.db.blog.prod' && c.provision === provision)).toBe(true);
    // The cost, counted: about the ten requirements of that name, where a scan would step 10,000 times.
    expect(steps).toBeLessThanOrEqual(2 * 10 + 2);
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

describe('registry cost, counted not timed', () => {
  const NAMES = 500;
  /** Every name has `perName` provisions and as many requirements, each with a filter that reads `n`. */
  function crowded(perName: number) {
    const registry = new Registry();
    for (let i = 0; i < NAMES * perName; i++) {
      registry.provide({ name: `e${i % NAMES}.db.blog.prod`, address: at(`h${i}`), attributes: { n: String(i) }, owner: 'p' });
      registry.require({ name: `e${i % NAMES}.db.blog.prod`, filter: { n: '*' }, owner: 's' });
    }
    return registry;
  }

  /** Attributes that count how often a filter reads them. */
  function counted(attributes: Record<string, string>) {
    const reads = { count: 0 };
    const proxy = new Proxy(attributes, {
      getOwnPropertyDescriptor(target, key) {
        reads.count++;
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
      get(target, key, receiver) {
        if (typeof key === 'string') reads.count++;
        return Reflect.get(target, key, receiver);
      },
    });
    return { proxy, reads };
  }

  // Bounds of 2 steps per entry of the name, plus a few: a scan of the other names' 500 × perName would break them.
  const bound = (perName: number) => 2 * perName + 4;

  it.each([2, 20])("a provide or drop steps through only its name's requirements (%i per name)", (perName) => {
    const registry = crowded(perName);
    const { proxy, reads } = counted({ n: 'new' });
    const provided = mapSteps(() => registry.provide({ name: 'e7.db.blog.prod', address: at('h-new'), attributes: proxy, owner: 'p' }));
    expect(provided.result.changes).toHaveLength(perName);
    expect(provided.steps).toBeLessThanOrEqual(bound(perName));
    const readsForProvide = reads.count;
    expect(readsForProvide).toBeGreaterThanOrEqual(perName); // Each filter of the name reads `n`...
    // ...and no other name's filter reads anything (the attribute pool reads the set once, to share it: `n` and toJSON).
    expect(readsForProvide).toBeLessThanOrEqual(3 * perName + 3);
    const dropped = mapSteps(() => registry.drop(provided.result.provision.id));
    expect(dropped.result).toHaveLength(perName);
    expect(dropped.steps).toBeLessThanOrEqual(bound(perName));
    expect(reads.count - readsForProvide).toBe(readsForProvide);
  });

  it.each([2, 20])("lookups, requires and endpointsOf step through only their name's provisions (%i per name)", (perName) => {
    const registry = crowded(perName);
    const lookup = mapSteps(() => registry.lookup('e7.db.blog.prod'));
    expect(lookup.result).toHaveLength(perName);
    expect(lookup.steps).toBeLessThanOrEqual(bound(perName));
    const required = mapSteps(() => registry.require({ name: 'e7.db.blog.prod', filter: { n: '7' }, owner: 's' }));
    expect(required.result.endpoints).toHaveLength(1);
    expect(required.steps).toBeLessThanOrEqual(bound(perName));
    const endpoints = mapSteps(() => registry.endpointsOf(required.result.requirement.id));
    expect(endpoints.result).toHaveLength(1);
    expect(endpoints.steps).toBeLessThanOrEqual(bound(perName));
    const withdrawn = mapSteps(() => registry.unrequire(required.result.requirement.id));
    expect(withdrawn.result).toBe(true);
    expect(withdrawn.steps).toBeLessThanOrEqual(bound(perName));
  });

  it('forgets names emptied by drops and withdrawals: later changes and lists step through nothing', () => {
    const registry = new Registry();
    for (let i = 0; i < 100; i++) {
      const name = `e${i}.db.blog.prod`;
      const { requirement } = registry.require({ name, filter: {}, owner: 's' });
      registry.drop(registry.provide({ name, address: at('h'), attributes: {}, owner: 'p' }).provision.id);
      registry.unrequire(requirement.id);
    }
    expect(mapSteps(() => registry.list()).steps).toBeLessThanOrEqual(1); // the one step that finds no names
    // Nobody requires the name any more: a change to it has nothing to step through.
    expect(mapSteps(() => registry.provide({ name: 'e7.db.blog.prod', address: at('h'), attributes: {}, owner: 'p' })).steps).toBe(0);
  });

  it('counts a scan when there is one: list() steps through every name', () => {
    // The measure itself must bite: list() is meant to visit everything.
    const registry = crowded(2);
    expect(mapSteps(() => registry.list()).steps).toBeGreaterThanOrEqual(NAMES * 2);
  });
});

describe('a session dropped in one pass (issue 26 §6)', () => {
  /** Runs `work` and counts the calls of String.prototype.split meanwhile: a name read label by label again. */
  function splits<T>(work: () => T): { result: T; count: number } {
    const split = String.prototype.split;
    let count = 0;
    String.prototype.split = function (this: string, ...args: Parameters<typeof split>) {
      count++;
      return split.apply(this, args);
    } as typeof split;
    try {
      return { result: work(), count };
    } finally {
      String.prototype.split = split;
    }
  }

  function sessions(count: number, each: number) {
    const registry = new Registry();
    const ids: string[][] = [];
    for (let session = 0; session < count; session++) {
      const mine: string[] = [];
      for (let at_ = 0; at_ < each; at_++) {
        const name = `e${at_}.s${session}.mass.prod`;
        mine.push(registry.provide({ name, address: at(`10.${session}.0.${at_}`), attributes: {}, owner: `s${session}` }).provision.id);
      }
      ids.push(mine);
    }
    return { registry, ids };
  }

  it('gives the changes and tells the listeners what one drop after another would, in order', () => {
    const build = () => {
      const { registry, ids } = sessions(3, 4);
      registry.require({ name: 'e1.s1.mass.prod', filter: {}, owner: 'r' });
      registry.require({ name: '*.s1.mass.prod', filter: {}, owner: 'r' });
      const told: string[] = [];
      registry.addListener((kind, provision, cause) => told.push(`${kind} ${provision.name} ${cause.reason}`));
      return { registry, ids, told };
    };
    const one = build();
    const each = one.ids[1]!.flatMap((id) => one.registry.drop(id, { reason: 'goodbye' }));
    const all = build();
    const together = all.registry.dropAll([...all.ids[1]!, 'p-unknown'], { reason: 'goodbye' });
    const summary = (changes: Change[]) => changes.map((change) => `${change.kind} ${change.provision.name} ${change.requirement.name}`);
    expect(summary(together)).toEqual(summary(each));
    expect(together).toHaveLength(5); // e0..e3 for the pattern, e1 for its own name too
    expect(all.told).toEqual(one.told);
    expect(all.registry.list().map((p) => p.name)).toEqual(one.registry.list().map((p) => p.name));
    expect(all.registry.lookup('*.s1.mass.prod')).toEqual([]);
    expect(all.registry.lookup('*.*.mass.prod')).toHaveLength(8);
  });

  it('deletes nothing from a Map it drops: a name that loses its last provision goes with its own Map', () => {
    const { registry, ids } = sessions(4, 500);
    const remove = Map.prototype.delete;
    let deletes = 0;
    Map.prototype.delete = function (this: Map<unknown, unknown>, key: unknown) {
      deletes++;
      return remove.call(this, key);
    };
    try {
      registry.dropAll(ids[2]!, { reason: 'goodbye' });
    } finally {
      Map.prototype.delete = remove;
    }
    // Each drop: the provision, its name, the name's leaf in the tree (and once, the emptied stack).
    expect(deletes).toBe(3 * 500 + 1);
    expect(registry.lookup('*.s2.mass.prod')).toEqual([]);
  });

  it('forgets each emptied name from its leaf, never reading its labels again, and steps through no other name', () => {
    const { registry, ids } = sessions(20, 500);
    const { result, count } = splits(() => mapSteps(() => registry.dropAll(ids[7]!, { reason: 'goodbye' })));
    // The names tree was walked label by label for each name: 500 splits, where now there are none.
    expect(count).toBe(0);
    expect(result.steps).toBe(0);
    expect(result.result).toEqual([]);
    expect(registry.size).toBe(19 * 500);
    expect(registry.lookup('*.s7.mass.prod')).toEqual([]);
    expect(registry.lookup('*.s8.mass.prod')).toHaveLength(500);
  });
});
