// The wire encoder: every reply it makes is read back by dns2's decoder and matches the records it
// was given; its work is bounded by what the reply carries, however many records the answer holds.

import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { canonicalAddress } from '../../src/dns/addresses.ts';
import { type Answer, answer, type RecordList, type ResourceRecord, recordsOf } from '../../src/dns/answer.ts';
import { MAX_TCP_MESSAGE, RCODE, TYPE } from '../../src/dns/constants.ts';
import { encodeAnswer, type Fit } from '../../src/dns/encode.ts';
import { parseQuery, type Query } from '../../src/dns/query.ts';
import { buildZoneView, type ZoneView } from '../../src/dns/view.ts';
import { makeZone } from '../../src/dns/zones.ts';
import { Registry } from '../../src/registry/registry.ts';
import { readReply, sampleRegistry, wireQuery } from '../helpers/dns.ts';

const options = { authoritative: true, recursionAvailable: false, ednsPayloadSize: 1232 };

interface Decoded {
  name: string;
  type: number;
  ttl: number;
  [field: string]: unknown;
}

/** The fields a decoder gives back for a record, in one comparable shape. */
function comparable(rr: ResourceRecord | Decoded): string {
  const name = (value: unknown) => String(value).replace(/\.$/, '').toLowerCase();
  const fields: unknown[] = [name(rr.name), rr.type, rr.ttl];
  switch (rr.type) {
    case TYPE.A:
      fields.push(rr.address);
      break;
    case TYPE.AAAA:
      fields.push(canonicalAddress(String(rr.address)));
      break;
    case TYPE.SRV:
      fields.push(rr.priority, rr.weight, rr.port, name(rr.target));
      break;
    case TYPE.PTR:
      fields.push(name(rr.domain));
      break;
    case TYPE.NS:
      fields.push(name(rr.ns));
      break;
    case TYPE.TXT:
      fields.push(...(rr.data as string[]));
      break;
    case TYPE.SOA:
      fields.push(name(rr.primary), name(rr.admin), rr.serial, rr.refresh, rr.retry, rr.expiration, rr.minimum);
      break;
  }
  return JSON.stringify(fields);
}

function bigRegistry(count: number, name = 'http.web.big.prod'): Registry {
  const registry = sampleRegistry();
  for (let i = 0; i < count; i++) {
    const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    registry.provide({ name, address: { host, port: 8080, protocol: 'tcp' }, attributes: { n: String(i) }, owner: 'test' });
  }
  return registry;
}

/** Views by registry: a test builds a registry, then only asks. */
const views = new WeakMap<Registry, ZoneView>();

function ask(registry: Registry, name: string, type: number): { query: Query; result: Answer } {
  let view = views.get(registry);
  if (!view)
    views.set(
      registry,
      (view = buildZoneView(makeZone({ name: 'disco' }), registry.list(), { nameServerAddresses: ['127.0.0.1', 'fd00::53'] })),
    );
  const query = parseQuery(wireQuery(name ? `${name}.disco` : 'disco', type, { edns: { size: 4096 } })) as Query;
  return { query, result: answer({ view, relative: query.labels.slice(0, -1), type, ttl: 5, serial: 9 }) };
}

/** An answer list that counts the records asked of it. */
function counted(list: RecordList): RecordList & { asked: number } {
  const wrapped = {
    asked: 0,
    length: list.length,
    at(index: number) {
      wrapped.asked++;
      return list.at(index);
    },
  };
  return wrapped;
}

describe("dns2's decoder reads back every reply", () => {
  const registry = bigRegistry(40);
  registry.provide({
    name: 'http.odd.blog.prod',
    address: { host: '::ffff:10.0.0.1', port: 80, protocol: 'tcp' },
    attributes: {},
    owner: 't',
  });
  registry.provide({
    name: 'http.odd.blog.prod',
    address: { host: '64:ff9b::192.0.2.33', port: 80, protocol: 'tcp' },
    attributes: {},
    owner: 't',
  });
  registry.provide({
    name: 'http.odd.blog.prod',
    address: { host: 'Web.Example.com', port: 81, protocol: 'tcp' },
    attributes: { a: 'b' },
    owner: 't',
  });
  const names = [
    '',
    'ns',
    'db.blog.prod',
    '_mysql._tcp.db.blog.prod',
    '10-0-0-5-3306._mysql._tcp.db.blog.prod',
    '_http._tcp.web.big.prod',
    'web.big.prod',
    '_http._tcp.odd.blog.prod',
    'odd.blog.prod',
    '_services._dns-sd._udp',
    'nothing.blog.prod',
  ];
  const types = [TYPE.SOA, TYPE.NS, TYPE.A, TYPE.AAAA, TYPE.SRV, TYPE.TXT, TYPE.PTR];
  const fits: Fit[] = [{ overflow: 'truncate' }, { overflow: 'cap' }, { overflow: 'cap', first: 7 }];

  it.each([512, 700, 1232, MAX_TCP_MESSAGE])('at a limit of %i bytes, whatever the name, type and overflow', (limit) => {
    for (const name of names) {
      for (const type of types) {
        for (const fit of fits) {
          const { query, result } = ask(registry, name, type);
          const { reply, next } = encodeAnswer(query, result, options, limit, fit);
          const where = `${name} ${type} ${fit.overflow} ${fit.first}`;
          expect(reply.length, where).toBeLessThanOrEqual(limit);
          const packet = dns2.Packet.parse(reply) as unknown as {
            header: { tc: number };
            answers: Decoded[];
            authorities: Decoded[];
            additionals: Decoded[];
          };
          const counts = readReply(reply).counts;
          expect([packet.answers.length, packet.authorities.length, packet.additionals.length], where).toEqual(counts.slice(1));
          if (packet.header.tc) {
            expect(counts, where).toEqual([1, 0, 0, 1]);
            continue;
          }
          const all = recordsOf(result.answers);
          const first = all.length ? (fit.first ?? 0) % all.length : 0;
          const rotated = [...all.slice(first), ...all.slice(0, first)];
          expect(packet.answers.map(comparable), where).toEqual(rotated.slice(0, packet.answers.length).map(comparable));
          expect(packet.authorities.map(comparable), where).toEqual(result.authorities.map(comparable));
          const additionals = packet.additionals.filter((rr) => rr.type !== TYPE.OPT);
          expect(additionals.map(comparable), where).toEqual([...result.additionals].slice(0, additionals.length).map(comparable));
          if (next === undefined) expect(packet.answers.length, where).toBe(all.length);
        }
      }
    }
  });
});

describe('work bounded by what the reply carries', () => {
  const registry = bigRegistry(30_000);

  it('a UDP reply for 30,000 SRV records asks for the records of one datagram, and is truncated', () => {
    const { query, result } = ask(registry, '_http._tcp.web.big.prod', TYPE.SRV);
    const answers = counted(result.answers);
    const { reply, records } = encodeAnswer(query, { ...result, answers }, options, 1232, { overflow: 'truncate' });
    expect(readReply(reply).flags & 0x0200).toBe(0x0200);
    expect(records).toBe(0);
    // About 40 bytes a record: fewer than 1232 / 30 are made before one does not fit.
    expect(answers.asked).toBeLessThan(1232 / 30);
  });

  it('a TCP answer for 30,000 SRV records carries as many as fit in one message, and asks for one more', () => {
    const { query, result } = ask(registry, '_http._tcp.web.big.prod', TYPE.SRV);
    const answers = counted(result.answers);
    const { reply, next, records } = encodeAnswer(query, { ...result, answers }, options, MAX_TCP_MESSAGE, { overflow: 'cap' });
    const counts = readReply(reply).counts;
    expect(reply.length).toBeLessThanOrEqual(MAX_TCP_MESSAGE);
    expect(reply.length).toBeGreaterThan(MAX_TCP_MESSAGE - 100);
    expect(counts).toEqual([1, records, 0, 1]);
    expect(readReply(reply).flags & 0x0200).toBe(0);
    expect(next).toBe(records);
    expect(answers.asked).toBe(records + 1);
  });

  it('bytes grow linearly with records: every SRV record of one name costs the same', () => {
    const sizes = [100, 200, 400].map((count) => {
      const registry = new Registry();
      for (let i = 0; i < count; i++) {
        // Addresses of one length: 10.1xx.1xx.100.
        const host = `10.${100 + (i % 100)}.${100 + Math.floor(i / 100)}.100`;
        registry.provide({ name: 'http.web.big.prod', address: { host, port: 8080, protocol: 'tcp' }, attributes: {}, owner: 't' });
      }
      const { query, result } = ask(registry, '_http._tcp.web.big.prod', TYPE.SRV);
      return encodeAnswer(query, { ...result, additionals: [] }, options, MAX_TCP_MESSAGE).reply.length;
    });
    expect(sizes[2]! - sizes[1]!).toBe(2 * (sizes[1]! - sizes[0]!));
  });

  it('rotates: the next answer starts where the last one ended, and wraps around', () => {
    const { query, result } = ask(bigRegistry(10_000), 'web.big.prod', TYPE.A);
    const total = result.answers.length;
    const seen = new Set<string>();
    let first = 0;
    let answers = 0;
    while (seen.size < total && answers < 20) {
      const { reply, next } = encodeAnswer(query, result, options, MAX_TCP_MESSAGE, { overflow: 'cap', first });
      const packet = dns2.Packet.parse(reply) as unknown as { answers: Decoded[] };
      const before = seen.size;
      for (const rr of packet.answers) seen.add(String(rr.address));
      expect(seen.size - before).toBe(answers < Math.floor(total / packet.answers.length) ? packet.answers.length : seen.size - before);
      first = next!;
      answers++;
    }
    expect(seen.size).toBe(total);
    expect(answers).toBe(Math.ceil(total / Math.floor((MAX_TCP_MESSAGE - 100) / 16)));
  });

  it('answers NODATA and NXDOMAIN as before: the SOA alone', () => {
    const { query, result } = ask(sampleRegistry(), 'nothing.big.prod', TYPE.A);
    const reply = readReply(encodeAnswer(query, result, options, 512).reply);
    expect([reply.rcode, reply.counts]).toEqual([RCODE.nxDomain, [1, 0, 1, 1]]);
  });
});

describe('AAAA records of addresses written with a dotted quad', () => {
  it.each([
    ['::ffff:10.0.0.1', '00000000000000000000ffff0a000001'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
    ['::FFFF:10.0.0.1', '00000000000000000000ffff0a000001'],
    ['fd00::6', 'fd000000000000000000000000000006'],
  ])('%s is sent as its own sixteen bytes', (host, hex) => {
    const registry = new Registry();
    registry.provide({ name: 'http.v6.blog.prod', address: { host, port: 80, protocol: 'tcp' }, attributes: {}, owner: 't' });
    const { query, result } = ask(registry, 'v6.blog.prod', TYPE.AAAA);
    const reply = encodeAnswer(query, result, options, 512).reply;
    const [aaaa] = readReply(reply).records;
    expect(aaaa?.rdlength).toBe(16);
    expect(reply.subarray(aaaa!.rdataAt, aaaa!.rdataAt + 16).toString('hex')).toBe(hex);
  });
});
