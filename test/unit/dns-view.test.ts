// The zone view kept change by change: a change costs what it touches (the registry is not read
// again, and the work does not grow with the registry), and the view after any history is the one
// built afresh from the registry as it is.

import { describe, expect, it } from 'vitest';
import { TYPE } from '../../src/dns/constants.ts';
import { DnsServer } from '../../src/dns/server.ts';
import { buildZoneView, type LiveZoneView } from '../../src/dns/view.ts';
import { makeZone } from '../../src/dns/zones.ts';
import type { RegistryReader } from '../../src/registry/reader.ts';
import { Registry } from '../../src/registry/registry.ts';
import type { Provision } from '../../src/registry/types.ts';
import { readReply, wireQuery } from '../helpers/dns.ts';
import { mulberry32 } from '../helpers/fuzz.ts';
import { quietLogger } from '../helpers/logging.ts';
import { mapSteps } from '../helpers/map-steps.ts';

/** The registry as DNS reads it, counting how often it is read whole. */
class CountingReader implements RegistryReader {
  lists = 0;
  constructor(private readonly registry: Registry) {}
  get version() {
    return this.registry.version;
  }
  list(): Provision[] {
    this.lists++;
    return this.registry.list();
  }
  addListener(listener: (kind: 'add' | 'drop', provision: Provision) => void) {
    this.registry.addListener(listener);
  }
}

const udpPeer = { udp: {}, to: { address: '127.0.0.1' } } as never;
const at = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function serverOver(count: number) {
  const registry = new Registry();
  // Many names, as a big deployment has: a scan of the registry's name index shows in the steps.
  for (let i = 0; i < count; i++) {
    registry.provide({
      name: `http.s${i % 500}.big.prod`,
      address: { host: at(i), port: 8080, protocol: 'tcp' },
      attributes: {},
      owner: 't',
    });
  }
  const reader = new CountingReader(registry);
  const server = new DnsServer(reader, { logger: quietLogger });
  return { registry, reader, server };
}

describe('a change costs what it touches', () => {
  it.each([2_000, 20_000])(
    'with %i endpoints: the registry is read once, and a change and the next answer take the same few steps',
    async (count) => {
      const { registry, reader, server } = serverOver(count);
      await server.ready();
      const question = wireQuery('s7.big.prod.disco', TYPE.A, { edns: { size: 1232 } });
      expect(readReply(server.handle(question, udpPeer)!).counts[1]).toBe(count / 500);
      expect(reader.lists).toBe(1);
      for (let round = 0; round < 5; round++) {
        const { result: provided, steps } = mapSteps(() => {
          const { provision } = registry.provide({
            name: 'http.s7.big.prod',
            address: { host: `10.200.0.${round}`, port: 8080, protocol: 'tcp' },
            attributes: {},
            owner: 't',
          });
          return { provision, reply: readReply(server.handle(question, udpPeer)!) };
        });
        expect(provided.reply.counts[1]).toBe(count / 500 + 1);
        // A scan of the registry or of the view would take thousands of steps here.
        expect(steps).toBeLessThanOrEqual(20);
        const dropped = mapSteps(() => {
          registry.drop(provided.provision.id);
          return readReply(server.handle(question, udpPeer)!);
        });
        expect(dropped.result.counts[1]).toBe(count / 500);
        expect(dropped.steps).toBeLessThanOrEqual(20);
      }
      expect(reader.lists).toBe(1);
    },
  );
});

/** Runs `work` and counts the elements that Array splices moved meanwhile (those after the place spliced). */
function splicedElements(work: () => void): number {
  const splice = Array.prototype.splice;
  let moved = 0;
  Array.prototype.splice = function (this: unknown[], start: number, ...rest: unknown[]) {
    moved += Math.max(0, this.length - start);
    return splice.call(this, start, ...(rest as [number]));
  } as typeof splice;
  try {
    work();
  } finally {
    Array.prototype.splice = splice;
  }
  return moved;
}

describe('a drop from a large record set (issue 26 §6)', () => {
  it('takes back 10,000 service types, each a PTR of `_services`, moving no array along', () => {
    const registry = new Registry();
    for (let i = 0; i < 10_000; i++) {
      registry.provide({ name: `e${i}.s.mass.prod`, address: { host: at(i), port: 80, protocol: 'tcp' }, attributes: {}, owner: 't' });
    }
    const view = buildZoneView(makeZone({ name: 'disco' }), registry.list(), { nameServerAddresses: [] });
    expect(view.nodes.get('_services._dns-sd._udp')?.ptr).toHaveLength(10_000);
    // A sorted array spliced at each drop moved about 3 × 10,000² / 2 elements.
    const moved = splicedElements(() => {
      for (const provision of registry.list()) view.apply('drop', provision);
    });
    expect(moved).toBeLessThanOrEqual(10 * 10_000);
    expect(snapshot(view).names).toEqual(['']);
  });
});

describe('names that go in a mass goodbye (issue 26 §6)', () => {
  it('are let go together with the ids of the provisions, never one Map delete each, within four times the names that exist', () => {
    const registry = new Registry();
    for (let i = 0; i < 10_000; i++) {
      registry.provide({
        name: `e${i}.s${i % 10}.mass.prod`,
        address: { host: at(i), port: 80, protocol: 'tcp' },
        attributes: {},
        owner: 't',
      });
    }
    const view = buildZoneView(makeZone({ name: 'disco' }), registry.list(), { nameServerAddresses: [] });
    const before = view.names.size;
    const remove = Map.prototype.delete;
    let deletes = 0;
    let largest = 0;
    Map.prototype.delete = function (this: Map<unknown, unknown>, key: unknown) {
      deletes++;
      return remove.call(this, key);
    };
    try {
      for (const provision of registry.list()) {
        view.apply('drop', provision);
        largest = Math.max(largest, view.names.stored - 4 * view.names.size);
      }
    } finally {
      Map.prototype.delete = remove;
    }
    // Each drop took three names or more (instance, type, address), each a Map delete before: 30,000 and more.
    expect(before).toBeGreaterThan(30_000);
    // Left: its keys in the two large sets' indexes (`_services`' PTR, its stack's A); the provision's own id stays too.
    expect(deletes).toBeLessThanOrEqual(2 * 10_000);
    expect(view.size).toBe(0);
    expect(view.shows(registry.list()[0]!.id)).toBe(false);
    expect(largest).toBeLessThanOrEqual(1024);
    expect(snapshot(view).names).toEqual(['']);
    // The names that went come back as they were, with one more.
    registry.provide({ name: 'e7.s7.mass.prod', address: { host: at(7), port: 80, protocol: 'tcp' }, attributes: {}, owner: 't' });
    for (const provision of registry.list()) view.apply('add', provision);
    expect(view.size).toBe(10_001);
    expect(view.shows(registry.list()[0]!.id)).toBe(true);
    expect(snapshot(view)).toEqual(snapshot(buildZoneView(makeZone({ name: 'disco' }), registry.list(), { nameServerAddresses: [] })));
  });
});

/** A view as plain data, names in order, so two views compare whatever their history. */
function snapshot(view: LiveZoneView) {
  const nodes = [...view.nodes.entries()]
    .map(([name, node]) => [name, { srv: node.srv, ptr: node.ptr, txt: node.txt, a: node.a, aaaa: node.aaaa }] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const names = [...view.names.keys()].sort();
  return { nodes, names };
}

/** A small seeded generator, so that a failure replays. */
describe('the view after any history', () => {
  it.each([1, 2, 3, 4, 5])('equals the view built afresh from the registry (seed %i)', (seed) => {
    const random = mulberry32(seed);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const zone = makeZone({ name: 'disco', filter: { tier: 'web*' } });
    const options = { nameServerAddresses: ['127.0.0.1', '::1'] };
    const registry = new Registry();
    const kept = buildZoneView(zone, [], options);
    registry.addListener((kind, provision) => kept.apply(kind, provision));
    const live: string[] = [];
    for (let step = 0; step < 400; step++) {
      if (live.length > 0 && random() < 0.4) {
        const id = live.splice(Math.floor(random() * live.length), 1)[0]!;
        registry.drop(id);
        continue;
      }
      const { provision } = registry.provide({
        name: `${pick(['http', 'grpc'])}.${pick(['web', 'api'])}.${pick(['blog', 'shop'])}.prod`,
        address: {
          host: pick(['10.0.0.1', '10.0.0.2', '::ffff:10.0.0.1', '::FFFF:10.0.0.3', '64:ff9b::192.0.2.33', 'fd00::6', 'Web.Example.com.']),
          port: pick([80, 8080, 10000]),
          protocol: pick(['tcp', 'udp']),
        },
        attributes: { tier: pick(['web', 'webish', 'db']), ...(random() < 0.5 ? { az: pick(['a', 'b']) } : {}) },
        owner: pick(['a', 'b']),
      });
      live.push(provision.id);
      if (step % 50 === 0) expect(snapshot(kept)).toEqual(snapshot(buildZoneView(zone, registry.list(), options)));
    }
    expect(snapshot(kept)).toEqual(snapshot(buildZoneView(zone, registry.list(), options)));
    for (const id of live) registry.drop(id);
    // Only the apex and the name server are left.
    expect(snapshot(kept).names).toEqual(['', 'ns']);
  });

  it('writes an IPv6 address one way, however it was written: one AAAA record and one address name', () => {
    const registry = new Registry();
    for (const host of ['::FFFF:10.0.0.1', '::ffff:10.0.0.1', '::ffff:a00:1']) {
      registry.provide({ name: 'http.v6.blog.prod', address: { host, port: 80, protocol: 'tcp' }, attributes: {}, owner: 't' });
    }
    const view = buildZoneView(makeZone({ name: 'disco' }), registry.list(), { nameServerAddresses: [] });
    expect(view.nodes.get('v6.blog.prod')?.aaaa).toEqual(['::ffff:a00:1']);
    expect(view.nodes.get('_http._tcp.v6.blog.prod')?.srv).toEqual([{ port: 80, target: '0-0-0-0-0-ffff-a00-1.addr.disco.' }]);
  });
});
