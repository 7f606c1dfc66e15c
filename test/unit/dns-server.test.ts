// The DNS server's bookkeeping, asked through `handle` and `serialOf` with a made-up clock, no
// sockets: which zone's serial moves, and when a dropped name stops answering NODATA.

import type { Socket } from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { RCODE, TYPE } from '../../src/dns/constants.ts';
import { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { readReply, udpPeer, wireQuery } from '../helpers/dns.ts';
import { quietLogger } from '../helpers/logging.ts';

const peer = udpPeer('127.0.0.1');

function setup(tombstoneMs = 30_000) {
  let now = 0;
  const registry = new Registry();
  const server = new DnsServer(registry, {
    port: 0,
    logger: quietLogger,
    clock: () => now,
    tombstoneMs,
    zones: [{ name: 'disco' }, { name: 'east.disco', filter: { az: 'east' } }],
  });
  const provide = (az: string) =>
    registry.provide({
      name: 'http.web.shop.prod',
      address: { host: '10.0.0.7', port: 80, protocol: 'tcp' },
      attributes: { az },
      owner: 't',
    });
  const rcode = (name: string) => readReply(server.handle(wireQuery(name, TYPE.A), peer)!).rcode;
  return { registry, server, provide, rcode, advance: (ms: number) => void (now += ms) };
}

describe('SOA serials', () => {
  it('are kept per zone: a change moves the serial of the zones that show it, and only theirs', () => {
    const { server, provide } = setup();
    const [all, east] = [server.serialOf('disco')!, server.serialOf('east.disco')!];
    provide('west');
    expect([server.serialOf('disco'), server.serialOf('east.disco.')]).toEqual([all + 1, east]);
    provide('east');
    expect([server.serialOf('disco'), server.serialOf('east.disco')]).toEqual([all + 2, east + 1]);
    expect(server.serialOf('west.disco')).toBeUndefined();
  });

  it('move once more when a dropped name stops existing, also for a caller that only reads the serial', () => {
    const { registry, server, provide, advance } = setup(1000);
    const start = server.serialOf('disco')!;
    const { provision } = provide('west');
    registry.drop(provision.id);
    expect(server.serialOf('disco')).toBe(start + 2);
    advance(1000);
    expect(server.serialOf('disco')).toBe(start + 3);
  });
});

describe('the SOA record in answers', () => {
  it('shows the serial as it is now, also when it moved without any record changing (a hold that ended)', () => {
    const { registry, server, provide, advance } = setup(1000);
    const serialInSoa = () => {
      const reply = server.handle(wireQuery('disco', TYPE.SOA), peer)!;
      const soa = readReply(reply).records.find((record) => record.type === TYPE.SOA)!;
      return reply.readUInt32BE(soa.rdataAt + soa.rdlength - 20);
    };
    const start = server.serialOf('disco')!;
    const { provision } = provide('west');
    registry.drop(provision.id);
    expect(serialInSoa()).toBe(start + 2);
    advance(1000);
    expect(serialInSoa()).toBe(start + 3);
  });
});

describe('names that were dropped', () => {
  it('answer NODATA for the hold after their drop, however long they existed before it, then NXDOMAIN', () => {
    const { registry, provide, rcode, advance } = setup(30_000);
    const { provision } = provide('west');
    advance(60_000); // longer than the hold, before the drop
    registry.drop(provision.id);
    advance(29_000);
    expect(rcode('web.shop.prod.disco')).toBe(RCODE.noError);
    advance(1000);
    expect(rcode('web.shop.prod.disco')).toBe(RCODE.nxDomain);
  });

  it('answer NODATA after a mass goodbye, though the view let go of the names that went before them', () => {
    const { registry, rcode, advance } = setup(30_000);
    const ids: string[] = [];
    for (let at = 0; at < 20_000; at++) {
      const address = { host: `10.1.${at >> 8}.${at & 255}`, port: 80, protocol: 'tcp' as const };
      ids.push(registry.provide({ name: `e${at}.web.mass.prod`, address, attributes: { az: 'west' }, owner: 't' }).provision.id);
    }
    expect(rcode('10-1-0-0.addr.disco')).toBe(RCODE.noError);
    registry.dropAll(ids);
    // The view copied out what lives several times meanwhile: the held names were kept for their hold.
    for (const name of ['10-1-0-0.addr', '10-1-78-31-80._e19999._tcp.web.mass.prod', 'mass.prod', 'prod']) {
      expect(rcode(`${name}.disco`)).toBe(RCODE.noError);
    }
    expect(rcode('10-1-0-0.add.disco')).toBe(RCODE.nxDomain);
    advance(30_000);
    expect(rcode('10-1-0-0.addr.disco')).toBe(RCODE.nxDomain);
    expect(rcode('mass.prod.disco')).toBe(RCODE.nxDomain);
  });
});

describe('flags and sizes of replies the server writes itself', () => {
  const from = udpPeer;
  const overTcp = { tcp: { remoteAddress: '127.0.0.1' } as Socket };

  it('BADVERS and REFUSED for another class say whether recursion is available to the asker', () => {
    // The recursor is never asked: every question here is inside the zone.
    const server = new DnsServer(new Registry(), { port: 0, logger: quietLogger, recursors: [{ host: '127.0.0.1', port: 9 }] });
    const flagsOf = (query: Buffer, address: string) => readReply(server.handle(query, from(address))!);
    const badvers = wireQuery('disco', TYPE.SOA, { edns: { version: 1 } });
    const chaos = wireQuery('disco', TYPE.SOA, { qclass: 3 });
    expect([flagsOf(badvers, '10.1.2.3').rcode, flagsOf(badvers, '10.1.2.3').flags & 0x0080]).toEqual([16, 0x0080]);
    expect([flagsOf(chaos, '10.1.2.3').rcode, flagsOf(chaos, '10.1.2.3').flags & 0x0080]).toEqual([RCODE.refused, 0x0080]);
    // A public address may not recurse: no RA.
    expect(flagsOf(badvers, '198.51.100.7').flags & 0x0080).toBe(0);
    expect(flagsOf(chaos, '198.51.100.7').flags & 0x0080).toBe(0);
  });

  it('an NXDOMAIN for a name no provision could have fits 512 bytes exactly, and is truncated one byte over', () => {
    // A long zone name makes the SOA large enough for the reply to reach 512 bytes.
    const zone = `${'x'.repeat(50)}.${'y'.repeat(50)}.disco`;
    const server = new DnsServer(new Registry(), { port: 0, logger: quietLogger, zones: [{ name: zone }] });
    const query = (pad: number) => wireQuery(`a b.${'c'.repeat(pad)}.${zone}`, TYPE.A);
    const exact = 1 + 512 - server.handle(query(1), overTcp)!.length; // each byte of the label adds one
    expect(server.handle(query(exact), overTcp)!.length).toBe(512);
    const fits = readReply(server.handle(query(exact), from('127.0.0.1'))!);
    expect([fits.rcode, fits.flags & 0x0200, fits.counts[2]]).toEqual([RCODE.nxDomain, 0, 1]);
    const over = readReply(server.handle(query(exact + 1), from('127.0.0.1'))!);
    expect([over.rcode, over.flags & 0x0200, over.counts[2]]).toEqual([RCODE.nxDomain, 0x0200, 0]);
  });
});

describe('cached replies', () => {
  const from = udpPeer;
  const provideAt = (registry: Registry, host: string) =>
    registry.provide({ name: 'http.web.shop.prod', address: { host, port: 80, protocol: 'tcp' }, attributes: {}, owner: 't' });

  it('are kept apart by view: containers and everyone else each get their own, asked in turn', () => {
    const global = new Registry();
    const local = new Registry();
    provideAt(global, '192.0.2.10');
    provideAt(local, '172.30.0.5');
    const server = new DnsServer(global, {
      port: 0,
      logger: quietLogger,
      localView: { registry: local, serves: (address) => address.startsWith('172.30.') },
    });
    const addressFor = (source: string) => {
      const reply = server.handle(wireQuery('web.shop.prod.disco', TYPE.A), from(source))!;
      const record = readReply(reply).records[0]!;
      return [...reply.subarray(record.rdataAt, record.rdataAt + 4)].join('.');
    };
    for (let round = 0; round < 2; round++) {
      expect([addressFor('172.30.0.9'), addressFor('127.0.0.1')]).toEqual(['172.30.0.5', '192.0.2.10']);
    }
  });

  it('are kept apart by what shapes them: the asker may recurse or not, whatever size each advertises', () => {
    const server = new DnsServer(new Registry(), { port: 0, logger: quietLogger, recursors: [{ host: '127.0.0.1', port: 9 }] });
    const ra = (size: number, source: string) =>
      readReply(server.handle(wireQuery('disco', TYPE.SOA, { edns: { size } }), from(source))!).flags & 0x0080;
    // Sizes one apart, recursion allowed to one asker and not the other, each asked twice (the second from the cache).
    for (let round = 0; round < 2; round++) {
      expect([ra(1000, '10.0.0.1'), ra(1001, '198.51.100.7'), ra(1001, '10.0.0.1'), ra(1000, '198.51.100.7')]).toEqual([0x80, 0, 0x80, 0]);
    }
  });
});

describe('a cached reply', () => {
  it('is the reply the server would write afresh, for every combination of what shapes a reply', () => {
    const global = new Registry();
    const local = new Registry();
    // Enough endpoints that an SRV reply fits 512 bytes only without its additional section.
    for (let i = 1; i <= 12; i++) {
      for (const [registry, prefix] of [
        [global, '192.0.2'],
        [local, '172.30.0'],
      ] as const) {
        registry.provide({
          name: 'http.web.shop.prod',
          address: { host: `${prefix}.${i}`, port: 80, protocol: 'tcp' },
          attributes: {},
          owner: 't',
        });
      }
    }
    const options = {
      port: 0,
      logger: quietLogger,
      recursors: [{ host: '127.0.0.1', port: 9 }],
      localView: { registry: local, serves: (address: string) => address.startsWith('172.30.') || address.startsWith('203.0.113.') },
    };
    // Each server's serial starts at the clock's second: one clock that stands still for all of them.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    onTestFinished(() => void vi.useRealTimers());
    const shared = new DnsServer(global, options);
    const from = udpPeer;
    const questions = [
      ['_http._tcp.web.shop.prod.disco', TYPE.SRV],
      ['web.shop.prod.disco', TYPE.A],
      ['web.shop.prod.disco', 3], // two above A: type numbers that differ by little must not share a key
    ] as const;
    const sizes = [undefined, 512, 513, 766, 1000, 1001, 1002, 1232];
    // Recursion allowed or not, each in the global view and in the local one.
    const sources = ['10.0.0.1', '198.51.100.7', '172.30.0.99', '203.0.113.5'];
    // Each reply written afresh once, by a server that has cached nothing; then asked of one server twice.
    const cases = questions.flatMap(([name, type]) =>
      [1, 255].flatMap((qclass) =>
        sizes.flatMap((size) =>
          sources.map((source) => {
            const query = wireQuery(name, type, { qclass, ...(size === undefined ? {} : { edns: { size } }) });
            return { query, source, what: `${name} ${type} class ${qclass} size ${size} from ${source}` };
          }),
        ),
      ),
    );
    const fresh = cases.map(({ query, source }) => new DnsServer(global, options).handle(query, from(source)));
    for (let round = 0; round < 2; round++) {
      for (const [i, { query, source, what }] of cases.entries()) expect(shared.handle(query, from(source)), what).toEqual(fresh[i]);
    }
  });
});

describe('recursion, by default', () => {
  it('is available to loopback and the private networks, and to no one else', () => {
    // The recursor is never asked: the question is inside the zone, and RA only says what would happen outside it.
    const server = new DnsServer(new Registry(), { port: 0, logger: quietLogger, recursors: [{ host: '127.0.0.1', port: 9 }] });
    const ra = (address: string) => (readReply(server.handle(wireQuery('disco', TYPE.SOA), udpPeer(address))!).flags & 0x0080 ? 'RA' : '-');
    const allowed = ['127.0.0.2', '::1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', 'fd12::1', 'fc00::1'];
    const refused = ['172.32.0.1', '192.169.0.1', '11.0.0.1', '198.51.100.7', '2001:db8::1', '::2'];
    expect(allowed.map(ra)).toEqual(allowed.map(() => 'RA'));
    expect(refused.map(ra)).toEqual(refused.map(() => '-'));
  });
});

describe('a reply from the cache', () => {
  const server = () => {
    const registry = new Registry();
    const provide = (host: string, zone: string) =>
      registry.provide({ name: 'http.web.shop.prod', address: { host, port: 80, protocol: 'tcp' }, attributes: { zone }, owner: host });
    provide('10.0.0.7', 'a1');
    provide('10.0.0.8', 'b1');
    const places = [
      { network: { address: '127.0.0.2', prefix: 32, family: 'ipv4' as const }, zone: 'a1' },
      { network: { address: '127.0.0.3', prefix: 32, family: 'ipv4' as const }, zone: 'b1' },
    ];
    return { registry, provide, server: new DnsServer(registry, { port: 0, logger: quietLogger, places }) };
  };

  it('is byte for byte the reply a fresh encoding gives, with the id, flags, DO bit and question case of its own query', () => {
    const { server: cached } = server();
    const queries = [
      wireQuery('_http._tcp.web.shop.prod.disco', TYPE.SRV, { id: 1 }),
      wireQuery('_HTTP._tcp.Web.SHOP.prod.DISCO', TYPE.SRV, { id: 0xbeef, flags: 0 }),
      wireQuery('_http._TCP.web.shop.prod.disco', TYPE.SRV, { id: 7, flags: 0x0110, edns: { dnssecOk: true } }),
      wireQuery('_http._tcp.WEB.shop.prod.disco', TYPE.SRV, { id: 8, edns: { dnssecOk: false } }),
      wireQuery('Web.Shop.Prod.Disco', TYPE.A, { id: 9 }),
      wireQuery('wEB.shop.prod.disco', TYPE.A, { id: 10 }),
    ];
    for (const [at, query] of queries.entries()) {
      const fresh = server().server.handle(query, peer)!;
      expect(cached.handle(query, peer), `query ${at}`).toEqual(fresh);
      expect(fresh.subarray(0, 2)).toEqual(query.subarray(0, 2));
      expect(fresh.subarray(12, 12 + query.length - 12 - (query[11] ? 11 : 0))).toEqual(
        query.subarray(12, query.length - (query[11] ? 11 : 0)),
      );
    }
    expect(cached.cache.hits).toBe(3);
  });

  it('is not given after a change to the registry: the next query sees it', () => {
    const { server: dns, provide, registry } = server();
    const count = () => readReply(dns.handle(wireQuery('web.shop.prod.disco', TYPE.A), peer)!).counts[1];
    expect([count(), count()]).toEqual([2, 2]);
    const { provision } = provide('10.0.0.9', 'a1');
    expect(count()).toBe(3);
    registry.drop(provision.id);
    expect(count()).toBe(2);
  });

  it('is its own for each place: askers in two zones get their own priorities, each from the cache the second time', () => {
    const { server: dns } = server();
    const priorities = (address: string) => {
      const reply = dns.handle(wireQuery('_http._tcp.web.shop.prod.disco', TYPE.SRV), udpPeer(address))!;
      return readReply(reply)
        .records.filter((record) => record.section === 'answer')
        .map((record) => reply.readUInt16BE(record.rdataAt));
    };
    for (let round = 0; round < 2; round++) {
      expect(priorities('127.0.0.2')).toEqual([10, 30]);
      expect(priorities('127.0.0.3')).toEqual([30, 10]);
    }
    expect(dns.cache.hits).toBe(2);
  });
});
