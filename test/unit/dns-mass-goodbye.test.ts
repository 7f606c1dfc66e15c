// Issue 26 §6: 100 sessions × 1,000 provisions saying bye at once kept disco from answering anyone
// for 47 s, then for over a second. The work a drop costs the DNS views and tombstones is counted
// here, never timed: it must not grow with how many drop together, and every name stays right.

import { describe, expect, it } from 'vitest';
import { Burials } from '../../src/dns/burials.ts';
import { RegistryViews } from '../../src/dns/views.ts';
import { makeZone } from '../../src/dns/zones.ts';
import { Registry } from '../../src/registry/registry.ts';

const instance = (session: number, at: number) => `10-${session}-${at >> 8}-${at & 255}-80._e${at}._tcp.s${session}.mass.prod`;

/** `sessions` × `each` provisions, wired to the views and tombstones as the DNS server wires them, then dropped session by session. */
function massGoodbye(sessions: number, each: number) {
  const registry = new Registry();
  const zone = makeZone({ name: 'disco' });
  let now = 0;
  const burials = new Burials([zone], 30_000, () => now);
  const views = new RegistryViews(registry, [zone], { nameServerAddresses: [], gone: burials.gone, held: burials.held, slice: 1000 });
  const ids: string[][] = [];
  for (let session = 0; session < sessions; session++) {
    const mine: string[] = [];
    for (let at = 1; at <= each; at++) {
      const address = { host: `10.${session}.${at >> 8}.${at & 255}`, port: 80, protocol: 'tcp' as const };
      mine.push(registry.provide({ name: `e${at}.s${session}.mass.prod`, address, attributes: {}, owner: `s${session}` }).provision.id);
    }
    ids.push(mine);
  }
  const view = views.of(zone);
  const work = () => view.work.records + view.work.nodes + view.copied + burials.steps;
  const before = work();
  for (const mine of ids) registry.dropAll(mine, { reason: 'goodbye' });
  const held = (owner: string) => burials.holds(zone, [views], owner, now);
  return { perDrop: (work() - before) / (sessions * each), view, held, advance: (ms: number) => void (now += ms) };
}

describe('a mass goodbye in the DNS views and tombstones', () => {
  it('costs each drop no more when 100,000 drop together than when 1,000 do', () => {
    const one = massGoodbye(1, 1000);
    const many = massGoodbye(100, 1000);
    expect(many.perDrop).toBeLessThanOrEqual(one.perDrop * 1.5);
    // A provision gives 8 records at 3 names of its own: taken back, buried, let go of, a few steps each.
    expect(many.perDrop).toBeLessThanOrEqual(40);
    expect(many.view.size).toBe(0);
  }, 60_000);

  it('holds the names that went last, though the view let go of what went before them, then lets them go', () => {
    const { view, held, advance } = massGoodbye(100, 1000);
    // 300,000 names went: past the capacity (100,000), the half buried longest ago is forgotten first.
    expect(held(instance(99, 1000))).toBe(true);
    expect(held('_e1000._tcp.s99.mass.prod')).toBe(true);
    expect(held('mass.prod')).toBe(true);
    expect(held(instance(0, 1))).toBe(false);
    expect(view.names.has('mass.prod')).toBe(false);
    // What the view keeps is bounded by the names held, not by the names that went.
    expect(view.names.stored).toBeLessThanOrEqual(2 * 100_000 + 1024 + 10);
    advance(30_000);
    expect(held(instance(99, 1000))).toBe(false);
  }, 60_000);
});
