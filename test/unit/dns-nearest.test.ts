// SRV priority and weight (docs/dns.md, "Priority and weight"): the priority says how near each
// endpoint is to the asker, the weight is the endpoint's `weight` attribute; where an asker is comes
// from its source network, and the reply cache keeps one reply per place.

import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../src/cidr.ts';
import { answer, type ResourceRecord, recordsOf } from '../../src/dns/answer.ts';
import { TYPE } from '../../src/dns/constants.ts';
import { AskerPlaces, everyoneAt, MAX_PLACE_RULES, type PlaceRule, REMEMBERED_ASKERS } from '../../src/dns/places.ts';
import { DnsServer } from '../../src/dns/server.ts';
import { weightOf } from '../../src/dns/srv.ts';
import { PLACE_VARIANTS, replyVariant, type VariantParts } from '../../src/dns/variant.ts';
import { buildZoneView } from '../../src/dns/view.ts';
import { makeZone } from '../../src/dns/zones.ts';
import type { Place } from '../../src/registry/nearest.ts';
import { Registry } from '../../src/registry/registry.ts';
import type { Attributes } from '../../src/registry/types.ts';
import { readReply, wireQuery } from '../helpers/dns.ts';
import { quietLogger } from '../helpers/logging.ts';

function registryOf(endpoints: [host: string, attributes: Attributes][]): Registry {
  const registry = new Registry();
  for (const [at, [host, attributes]] of endpoints.entries()) {
    registry.provide({ name: 'http.web.shop.prod', address: { host, port: 8080, protocol: 'tcp' }, attributes, owner: `o${at}` });
  }
  return registry;
}

const srvText = (registry: Registry, asker?: Place) => {
  const view = buildZoneView(makeZone({ name: 'disco' }), registry.list(), { nameServerAddresses: [] });
  const result = answer({ view, relative: ['_http', '_tcp', 'web', 'shop', 'prod'], type: TYPE.SRV, ttl: 5, serial: 1, asker });
  return recordsOf(result.answers).map((rr: ResourceRecord) => `${rr.priority} ${rr.weight} ${rr.target}`);
};

const threePlaces = () =>
  registryOf([
    ['10.0.0.1', { zone: 'a1', dc: 'a' }],
    ['10.0.0.2', { zone: 'a2', dc: 'a', weight: '3' }],
    ['10.0.0.3', { az: 'b1', dc: 'b' }],
  ]);

describe('SRV priorities, relative to the asker', () => {
  it('gives the same zone 10, the same dc 20, the rest 30', () => {
    expect(srvText(threePlaces(), { zone: 'a1', dc: 'a' })).toEqual([
      '10 1 10-0-0-1.addr.disco.',
      '20 3 10-0-0-2.addr.disco.',
      '30 1 10-0-0-3.addr.disco.',
    ]);
    expect(srvText(threePlaces(), { zone: 'b1', dc: 'b' })).toEqual([
      '30 1 10-0-0-1.addr.disco.',
      '30 3 10-0-0-2.addr.disco.',
      '10 1 10-0-0-3.addr.disco.',
    ]);
  });

  it('gives every endpoint priority 1 for an asker of no known place, as before places', () => {
    expect(srvText(threePlaces())).toEqual(['1 1 10-0-0-1.addr.disco.', '1 3 10-0-0-2.addr.disco.', '1 1 10-0-0-3.addr.disco.']);
    expect(srvText(threePlaces(), {})).toEqual(srvText(threePlaces()));
  });

  it('reads one endpoint provided twice as its first provision says, as its TXT record does', () => {
    const registry = registryOf([
      ['10.0.0.7', { zone: 'a1', weight: '5' }],
      ['10.0.0.7', { zone: 'b1', weight: '9' }],
    ]);
    expect(srvText(registry, { zone: 'a1' })).toEqual(['10 5 10-0-0-7.addr.disco.']);
    registry.drop(registry.list()[0]!.id);
    expect(srvText(registry, { zone: 'a1' })).toEqual(['30 9 10-0-0-7.addr.disco.']);
  });
});

describe('the weight attribute', () => {
  it('is the SRV weight from 1 to 65535; anything else is the default, 1', () => {
    const cases: [string | undefined, number][] = [
      ['1', 1],
      ['7', 7],
      ['65535', 65535],
      ['65536', 1],
      ['0', 1],
      ['-3', 1],
      ['07', 1],
      ['2.5', 1],
      [' 4', 1],
      ['lots', 1],
      ['', 1],
      ['999999999999999999999', 1],
      [undefined, 1],
    ];
    for (const [text, weight] of cases) expect([text, weightOf(text === undefined ? {} : { weight: text })]).toEqual([text, weight]);
  });

  it('never breaks an answer: a bad one answers with weight 1', () => {
    const registry = registryOf([['10.0.0.1', { weight: 'heavy' }]]);
    expect(srvText(registry, { zone: 'a1' })).toEqual(['30 1 10-0-0-1.addr.disco.']);
  });
});

describe("an asker's place, by its source network", () => {
  const rule = (network: string, zone?: string, dc?: string): PlaceRule => ({ network: parseCidr(network), zone, dc });
  const places = () =>
    new AskerPlaces([
      rule('10.0.0.0/8', undefined, 'a'),
      rule('10.1.0.0/16', 'a1', 'a'),
      rule('10.1.2.128/25', 'a2', 'a'),
      rule('10.2.0.0/16', 'a1', 'a'),
      rule('fd00:1::/32', 'b1', 'b'),
      rule('192.0.2.7', 'c1'),
    ]);

  it('is the place of the longest prefix that holds the address', () => {
    const of = (address: string) => places().of(address).place;
    expect(of('10.9.9.9')).toEqual({ dc: 'a' });
    expect(of('10.1.2.3')).toEqual({ zone: 'a1', dc: 'a' });
    expect(of('10.1.2.200')).toEqual({ zone: 'a2', dc: 'a' });
    expect(of('10.1.2.127')).toEqual({ zone: 'a1', dc: 'a' });
    expect(of('::ffff:10.1.2.200')).toEqual({ zone: 'a2', dc: 'a' });
    expect(of('fd00:1:ffff::5')).toEqual({ zone: 'b1', dc: 'b' });
    expect(of('fd00:2::5')).toEqual({});
    expect(of('192.0.2.7')).toEqual({ zone: 'c1' });
    expect(of('192.0.2.8')).toEqual({});
    expect(of('11.0.0.1')).toEqual({});
    expect(of('not an address')).toEqual({});
  });

  it('numbers each distinct place once, 0 being unknown', () => {
    const map = places();
    expect(map.size).toBe(6);
    expect(map.of('10.1.0.1').index).toBe(map.of('10.2.0.1').index);
    const indexes = ['10.9.9.9', '10.1.2.3', '10.1.2.200', 'fd00:1::1', '192.0.2.7'].map((address) => map.of(address).index);
    expect(new Set(indexes).size).toBe(5);
    expect(Math.min(...indexes)).toBeGreaterThan(0);
    expect(Math.max(...indexes)).toBeLessThan(map.size);
    expect(map.of('11.0.0.1').index).toBe(0);
  });

  it('holds at most 1,000 networks', () => {
    const many = (count: number) => Array.from({ length: count }, (_, i) => rule(`10.${i >> 8}.${i & 255}.0/24`, `z${i}`));
    expect(new AskerPlaces(many(MAX_PLACE_RULES)).size).toBe(MAX_PLACE_RULES + 1);
    expect(MAX_PLACE_RULES).toBeLessThan(PLACE_VARIANTS);
    expect(() => new AskerPlaces(many(MAX_PLACE_RULES + 1))).toThrow(/at most 1000/);
  });

  it('gives an address the same place every time it asks, past the most addresses it remembers too', () => {
    const map = places();
    const askers = ['10.1.2.3', '10.1.2.200', '::ffff:10.1.2.200', 'fd00:1::1', '192.0.2.7', '11.0.0.1'];
    const first = askers.map((address) => map.of(address));
    for (let i = 0; i < REMEMBERED_ASKERS + 10; i++) map.of(`10.1.${(i >> 8) & 255}.${i & 127}`);
    for (let round = 0; round < 2; round++) expect(askers.map((address) => map.of(address))).toEqual(first);
    expect(first.map((asker) => asker.place)).toEqual([
      { zone: 'a1', dc: 'a' },
      { zone: 'a2', dc: 'a' },
      { zone: 'a2', dc: 'a' },
      { zone: 'b1', dc: 'b' },
      { zone: 'c1' },
      {},
    ]);
  });

  it('puts everyone at the unknown place when no network has one', () => {
    for (const rules of [[], [rule('10.0.0.0/8')]]) {
      const map = new AskerPlaces(rules);
      expect(map.size).toBe(1);
      expect([map.of('10.1.2.3'), map.of('fd00::1')]).toEqual([
        { place: {}, index: 0 },
        { place: {}, index: 0 },
      ]);
    }
  });

  it('puts everyone at one place for a host DNS', () => {
    const map = new AskerPlaces(everyoneAt({ zone: 'a1', dc: 'a' }));
    expect(map.of('172.18.0.5').place).toEqual({ zone: 'a1', dc: 'a' });
    expect(map.of('fd00::5').place).toEqual({ zone: 'a1', dc: 'a' });
  });
});

describe('the reply cache key', () => {
  const base: VariantParts = { class: 1, type: 33, edns: true, limit: 1232, local: false, recursionAvailable: false, place: 0 };

  it('differs in every part that shapes a reply, the asker’s place included', () => {
    const variants = [
      base,
      { ...base, class: 255 },
      { ...base, type: 1 },
      { ...base, edns: false },
      { ...base, limit: 65535 },
      { ...base, local: true },
      { ...base, recursionAvailable: true },
      { ...base, place: 1 },
      { ...base, place: PLACE_VARIANTS - 1 },
      { ...base, type: 65535, limit: 131071, place: PLACE_VARIANTS - 1, class: 255, edns: true, local: true, recursionAvailable: true },
    ].map(replyVariant);
    expect(new Set(variants).size).toBe(variants.length);
    expect(variants.every(Number.isSafeInteger)).toBe(true);
  });

  it('keeps one reply per place: each asker gets its own priorities, the second time from the cache', () => {
    const server = new DnsServer(threePlaces(), {
      logger: quietLogger,
      places: [
        { network: parseCidr('127.0.0.2'), zone: 'a1', dc: 'a' },
        { network: parseCidr('127.0.0.3'), zone: 'b1', dc: 'b' },
      ],
    });
    const askFrom = (address: string) => {
      const reply = server.handle(wireQuery('_http._tcp.web.shop.prod.disco', TYPE.SRV), { udp: {}, to: { address } } as never)!;
      const { records } = readReply(reply);
      return records
        .filter((record) => record.section === 'answer')
        .map((record) => `${reply.readUInt16BE(record.rdataAt)} ${reply.readUInt16BE(record.rdataAt + 2)}`);
    };
    for (let round = 0; round < 2; round++) {
      expect(askFrom('127.0.0.2')).toEqual(['10 1', '20 3', '30 1']);
      expect(askFrom('127.0.0.3')).toEqual(['30 1', '30 3', '10 1']);
      expect(askFrom('127.0.0.4')).toEqual(['1 1', '1 3', '1 1']);
    }
    expect(server.cache.hits).toBe(3);
  });
});
