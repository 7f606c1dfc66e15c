// Golden answers: what each question gets, as zone-file text, so the behaviour reads at a glance.

import { describe, expect, it } from 'vitest';
import { type Answer, answer, type ResourceRecord, recordsOf } from '../../src/dns/answer.ts';
import { RCODE, TYPE } from '../../src/dns/constants.ts';
import { encodeAnswer } from '../../src/dns/encode.ts';
import { parseQuery, type Query } from '../../src/dns/query.ts';
import { buildZoneView } from '../../src/dns/view.ts';
import { makeZone } from '../../src/dns/zones.ts';
import { Registry } from '../../src/registry/registry.ts';
import { readReply, sampleRegistry, wireQuery } from '../helpers/dns.ts';

const TYPE_NAMES = Object.fromEntries(Object.entries(TYPE).map(([name, value]) => [value, name]));
const RCODE_NAMES = Object.fromEntries(Object.entries(RCODE).map(([name, value]) => [value, name.toUpperCase()]));

function rdata(rr: ResourceRecord): string {
  switch (rr.type) {
    case TYPE.A:
    case TYPE.AAAA:
      return String(rr.address);
    case TYPE.SRV:
      return `${rr.priority} ${rr.weight} ${rr.port} ${rr.target}`;
    case TYPE.TXT:
      return (rr.data as string[]).map((text) => JSON.stringify(text)).join(' ');
    case TYPE.PTR:
      return String(rr.domain);
    case TYPE.NS:
      return String(rr.ns);
    case TYPE.SOA:
      return `${rr.primary} ${rr.admin} ${rr.serial} ${rr.refresh} ${rr.retry} ${rr.expiration} ${rr.minimum}`;
    case TYPE.HINFO:
      return '"RFC8482" ""';
    default:
      return '?';
  }
}

function zoneText(result: Answer): string {
  const section = (title: string, records: readonly ResourceRecord[]) =>
    records.length ? [`;; ${title}`, ...records.map((rr) => `${rr.name} ${rr.ttl} IN ${TYPE_NAMES[rr.type]} ${rdata(rr)}`)] : [];
  return [
    `;; ${RCODE_NAMES[result.rcode]}`,
    ...section('ANSWER', recordsOf(result.answers)),
    ...section('AUTHORITY', result.authorities),
    ...section('ADDITIONAL', [...result.additionals]),
  ].join('\n');
}

// Built on every question, inside the test that asks: see docs/testing.md, "Static mutants".
const ask = (name: string, type: keyof typeof TYPE) => {
  const view = buildZoneView(makeZone({ name: 'disco' }), sampleRegistry().list(), { nameServerAddresses: ['127.0.0.1'] });
  return zoneText(answer({ view, relative: name ? name.split('.') : [], type: TYPE[type], ttl: 5, serial: 42 }));
};

describe('answers, as zone text', () => {
  it('SRV', () => {
    expect(ask('_mysql._tcp.db.blog.prod', 'SRV')).toBe(`;; NOERROR
;; ANSWER
_mysql._tcp.db.blog.prod.disco. 5 IN SRV 1 1 3306 10-0-0-5.addr.disco.
_mysql._tcp.db.blog.prod.disco. 5 IN SRV 1 1 3306 10-0-0-6.addr.disco.
_mysql._tcp.db.blog.prod.disco. 5 IN SRV 1 1 3306 fd00-0-0-0-0-0-0-6.addr.disco.
;; ADDITIONAL
10-0-0-5.addr.disco. 5 IN A 10.0.0.5
10-0-0-6.addr.disco. 5 IN A 10.0.0.6
fd00-0-0-0-0-0-0-6.addr.disco. 5 IN AAAA fd00::6`);
  });

  it('PTR: DNS-SD browse with each instance in the additional section', () => {
    expect(ask('_http._tcp.web.blog.prod', 'PTR')).toBe(`;; NOERROR
;; ANSWER
_http._tcp.web.blog.prod.disco. 5 IN PTR 10-0-0-9-8080._http._tcp.web.blog.prod.disco.
;; ADDITIONAL
10-0-0-9-8080._http._tcp.web.blog.prod.disco. 5 IN SRV 1 1 8080 10-0-0-9.addr.disco.
10-0-0-9-8080._http._tcp.web.blog.prod.disco. 5 IN TXT ""
10-0-0-9.addr.disco. 5 IN A 10.0.0.9`);
  });

  it('TXT, one record per distinct attribute set', () => {
    expect(ask('_mysql._tcp.db.blog.prod', 'TXT')).toBe(`;; NOERROR
;; ANSWER
_mysql._tcp.db.blog.prod.disco. 5 IN TXT "az=us-east-1a" "role=primary"
_mysql._tcp.db.blog.prod.disco. 5 IN TXT "az=us-east-1b"`);
  });

  it('the service types, and the apex', () => {
    expect(ask('_services._dns-sd._udp', 'PTR')).toBe(`;; NOERROR
;; ANSWER
_services._dns-sd._udp.disco. 5 IN PTR _http._tcp.web.blog.prod.disco.
_services._dns-sd._udp.disco. 5 IN PTR _mysql._tcp.db.blog.prod.disco.`);
    expect(ask('', 'NS')).toBe(`;; NOERROR
;; ANSWER
disco. 5 IN NS ns.disco.
;; ADDITIONAL
ns.disco. 5 IN A 127.0.0.1`);
    expect(ask('', 'SOA')).toBe(`;; NOERROR
;; ANSWER
disco. 5 IN SOA ns.disco. hostmaster.disco. 42 3600 600 86400 5`);
  });

  it('NXDOMAIN, NODATA at an empty non-terminal, and ANY', () => {
    const soa = ';; AUTHORITY\ndisco. 5 IN SOA ns.disco. hostmaster.disco. 42 3600 600 86400 5';
    expect(ask('cache.blog.prod', 'A')).toBe(`;; NXDOMAIN\n${soa}`);
    expect(ask('blog.prod', 'A')).toBe(`;; NOERROR\n${soa}`);
    expect(ask('db.blog.prod', 'SRV')).toBe(`;; NOERROR\n${soa}`);
    expect(ask('db.blog.prod', 'ANY')).toBe(';; NOERROR\n;; ANSWER\ndb.blog.prod.disco. 5 IN HINFO "RFC8482" ""');
  });
});

describe('every type at every kind of name', () => {
  // One line per question: the rcode (NODATA for NOERROR with no answer), then the answer's types
  // and the additional section's. Apex, empty non-terminal, service, service type, instance, address
  // name and the service list each own some types and must say NODATA for the rest.
  const names = ['', 'blog.prod', 'db.blog.prod', '_mysql._tcp.db.blog.prod', '10-0-0-5-3306._mysql._tcp.db.blog.prod', '10-0-0-5.addr'];
  const types = ['SOA', 'NS', 'A', 'AAAA', 'SRV', 'TXT', 'PTR', 'ANY'] as const;
  const summary = (name: string, type: (typeof types)[number]) => {
    const view = buildZoneView(makeZone({ name: 'disco' }), sampleRegistry().list(), { nameServerAddresses: ['127.0.0.1'] });
    const result = answer({ view, relative: name ? name.split('.') : [], type: TYPE[type], ttl: 5, serial: 42 });
    const rcode = result.rcode === RCODE.noError && result.answers.length === 0 ? 'NODATA' : RCODE_NAMES[result.rcode];
    const list = (records: readonly ResourceRecord[]) => records.map((rr) => TYPE_NAMES[rr.type]).join(',') || '-';
    return `${name || '@'} ${type}: ${rcode} ${list(recordsOf(result.answers))} ${list([...result.additionals])}`;
  };

  it('answers what the name holds and NODATA for the rest', () => {
    expect(names.flatMap((name) => types.map((type) => summary(name, type)))).toEqual([
      '@ SOA: NOERROR SOA -',
      '@ NS: NOERROR NS A',
      '@ A: NODATA - -',
      '@ AAAA: NODATA - -',
      '@ SRV: NODATA - -',
      '@ TXT: NODATA - -',
      '@ PTR: NODATA - -',
      '@ ANY: NOERROR HINFO -',
      'blog.prod SOA: NODATA - -',
      'blog.prod NS: NODATA - -',
      'blog.prod A: NODATA - -',
      'blog.prod AAAA: NODATA - -',
      'blog.prod SRV: NODATA - -',
      'blog.prod TXT: NODATA - -',
      'blog.prod PTR: NODATA - -',
      'blog.prod ANY: NODATA - -',
      'db.blog.prod SOA: NODATA - -',
      'db.blog.prod NS: NODATA - -',
      'db.blog.prod A: NOERROR A,A -',
      'db.blog.prod AAAA: NOERROR AAAA -',
      'db.blog.prod SRV: NODATA - -',
      'db.blog.prod TXT: NODATA - -',
      'db.blog.prod PTR: NODATA - -',
      'db.blog.prod ANY: NOERROR HINFO -',
      '_mysql._tcp.db.blog.prod SOA: NODATA - -',
      '_mysql._tcp.db.blog.prod NS: NODATA - -',
      '_mysql._tcp.db.blog.prod A: NODATA - -',
      '_mysql._tcp.db.blog.prod AAAA: NODATA - -',
      '_mysql._tcp.db.blog.prod SRV: NOERROR SRV,SRV,SRV A,A,AAAA',
      '_mysql._tcp.db.blog.prod TXT: NOERROR TXT,TXT -',
      '_mysql._tcp.db.blog.prod PTR: NOERROR PTR,PTR,PTR SRV,TXT,A,SRV,TXT,A,SRV,TXT,AAAA',
      '_mysql._tcp.db.blog.prod ANY: NOERROR HINFO -',
      '10-0-0-5-3306._mysql._tcp.db.blog.prod SOA: NODATA - -',
      '10-0-0-5-3306._mysql._tcp.db.blog.prod NS: NODATA - -',
      '10-0-0-5-3306._mysql._tcp.db.blog.prod A: NODATA - -',
      '10-0-0-5-3306._mysql._tcp.db.blog.prod AAAA: NODATA - -',
      '10-0-0-5-3306._mysql._tcp.db.blog.prod SRV: NOERROR SRV A',
      '10-0-0-5-3306._mysql._tcp.db.blog.prod TXT: NOERROR TXT -',
      '10-0-0-5-3306._mysql._tcp.db.blog.prod PTR: NODATA - -',
      '10-0-0-5-3306._mysql._tcp.db.blog.prod ANY: NOERROR HINFO -',
      '10-0-0-5.addr SOA: NODATA - -',
      '10-0-0-5.addr NS: NODATA - -',
      '10-0-0-5.addr A: NOERROR A -',
      '10-0-0-5.addr AAAA: NODATA - -',
      '10-0-0-5.addr SRV: NODATA - -',
      '10-0-0-5.addr TXT: NODATA - -',
      '10-0-0-5.addr PTR: NODATA - -',
      '10-0-0-5.addr ANY: NOERROR HINFO -',
    ]);
  });
});

describe('the additional section', () => {
  const askOf = (registry: Registry, name: string, type: keyof typeof TYPE) => {
    const view = buildZoneView(makeZone({ name: 'disco' }), registry.list(), { nameServerAddresses: [] });
    return zoneText(answer({ view, relative: name.split('.'), type: TYPE[type], ttl: 5, serial: 42 }));
  };
  const provide = (registry: Registry, host: string, port: number) =>
    registry.provide({ name: 'http.web.shop.prod', address: { host, port, protocol: 'tcp' }, attributes: {}, owner: 'test' });

  it('holds each address once when several endpoints share a host', () => {
    const registry = new Registry();
    provide(registry, '10.0.0.7', 8080);
    provide(registry, '10.0.0.7', 8081);
    expect(askOf(registry, '_http._tcp.web.shop.prod', 'SRV')).toBe(`;; NOERROR
;; ANSWER
_http._tcp.web.shop.prod.disco. 5 IN SRV 1 1 8080 10-0-0-7.addr.disco.
_http._tcp.web.shop.prod.disco. 5 IN SRV 1 1 8081 10-0-0-7.addr.disco.
;; ADDITIONAL
10-0-0-7.addr.disco. 5 IN A 10.0.0.7`);
    expect(askOf(registry, '_http._tcp.web.shop.prod', 'PTR')).toBe(`;; NOERROR
;; ANSWER
_http._tcp.web.shop.prod.disco. 5 IN PTR 10-0-0-7-8080._http._tcp.web.shop.prod.disco.
_http._tcp.web.shop.prod.disco. 5 IN PTR 10-0-0-7-8081._http._tcp.web.shop.prod.disco.
;; ADDITIONAL
10-0-0-7-8080._http._tcp.web.shop.prod.disco. 5 IN SRV 1 1 8080 10-0-0-7.addr.disco.
10-0-0-7-8080._http._tcp.web.shop.prod.disco. 5 IN TXT ""
10-0-0-7.addr.disco. 5 IN A 10.0.0.7
10-0-0-7-8081._http._tcp.web.shop.prod.disco. 5 IN SRV 1 1 8081 10-0-0-7.addr.disco.
10-0-0-7-8081._http._tcp.web.shop.prod.disco. 5 IN TXT ""`);
    expect(askOf(registry, 'web.shop.prod', 'A')).toBe(`;; NOERROR
;; ANSWER
web.shop.prod.disco. 5 IN A 10.0.0.7`);
  });

  it('holds one endpoint provided twice (two owners, one address) once, with the attributes of the first', () => {
    const registry = new Registry();
    for (const [owner, az] of [
      ['a', 'east'],
      ['b', 'west'],
    ] as const) {
      registry.provide({
        name: 'http.web.shop.prod',
        address: { host: '10.0.0.7', port: 8080, protocol: 'tcp' },
        attributes: { az },
        owner,
      });
    }
    expect(askOf(registry, '_http._tcp.web.shop.prod', 'PTR')).toBe(`;; NOERROR
;; ANSWER
_http._tcp.web.shop.prod.disco. 5 IN PTR 10-0-0-7-8080._http._tcp.web.shop.prod.disco.
;; ADDITIONAL
10-0-0-7-8080._http._tcp.web.shop.prod.disco. 5 IN SRV 1 1 8080 10-0-0-7.addr.disco.
10-0-0-7-8080._http._tcp.web.shop.prod.disco. 5 IN TXT "az=east"
10-0-0-7.addr.disco. 5 IN A 10.0.0.7`);
  });

  it('names a host-name target once, without a doubled dot, however the host was written', () => {
    const registry = new Registry();
    provide(registry, 'Web.Example.com.', 8080);
    expect(askOf(registry, '_http._tcp.web.shop.prod', 'SRV')).toBe(`;; NOERROR
;; ANSWER
_http._tcp.web.shop.prod.disco. 5 IN SRV 1 1 8080 web.example.com.`);
  });

  it('writes attributes in the order of their keys, so one set given in two orders is one TXT record', () => {
    const registry = new Registry();
    const at = (port: number, attributes: Record<string, string>) =>
      registry.provide({ name: 'http.web.shop.prod', address: { host: '10.0.0.7', port, protocol: 'tcp' }, attributes, owner: 'test' });
    at(8080, { zone: 'b', az: 'a' });
    at(8081, { az: 'a', zone: 'b' });
    expect(askOf(registry, '_http._tcp.web.shop.prod', 'TXT')).toBe(`;; NOERROR
;; ANSWER
_http._tcp.web.shop.prod.disco. 5 IN TXT "az=a" "zone=b"`);
  });

  it('holds no address for a target outside the zone, even one that ends like the zone without its dot', () => {
    const registry = new Registry();
    provide(registry, '10.0.0.7', 8080);
    provide(registry, '10-0-0-7.addr-disco', 8080);
    expect(askOf(registry, '_http._tcp.web.shop.prod', 'SRV')).toBe(`;; NOERROR
;; ANSWER
_http._tcp.web.shop.prod.disco. 5 IN SRV 1 1 8080 10-0-0-7.addr-disco.
_http._tcp.web.shop.prod.disco. 5 IN SRV 1 1 8080 10-0-0-7.addr.disco.
;; ADDITIONAL
10-0-0-7.addr.disco. 5 IN A 10.0.0.7`);
  });
});

describe('the minimal answer to ANY (RFC 8482)', () => {
  it('is one HINFO record whose CPU string is "RFC8482" and whose OS string is empty', () => {
    const view = buildZoneView(makeZone({ name: 'disco' }), sampleRegistry().list(), { nameServerAddresses: [] });
    const query = parseQuery(wireQuery('db.blog.prod.disco', TYPE.ANY)) as Query;
    const options = { authoritative: true, recursionAvailable: false, ednsPayloadSize: 1232 };
    const bytes = encodeAnswer(
      query,
      answer({ view, relative: query.labels.slice(0, -1), type: TYPE.ANY, ttl: 5, serial: 1 }),
      options,
      512,
    ).reply;
    const [hinfo] = readReply(bytes).records;
    expect(hinfo?.type).toBe(TYPE.HINFO);
    expect(bytes.subarray(hinfo!.rdataAt, hinfo!.rdataAt + hinfo!.rdlength).toString('latin1')).toBe('\u0007RFC8482\u0000');
  });
});

describe('fitting a reply to the size limit', () => {
  it('sends it whole at exactly its size, with whole additional RRsets left out below, and truncated below the answers', () => {
    const view = buildZoneView(makeZone({ name: 'disco' }), sampleRegistry().list(), { nameServerAddresses: [] });
    const query = parseQuery(wireQuery('_mysql._tcp.db.blog.prod.disco', TYPE.SRV)) as Query;
    const result = answer({ view, relative: query.labels.slice(0, -1), type: TYPE.SRV, ttl: 5, serial: 1 });
    const options = { authoritative: true, recursionAvailable: false, ednsPayloadSize: 1232 };
    const encode = (limit: number, additionals = result.additionals) =>
      encodeAnswer(query, { ...result, additionals }, options, limit).reply;
    const full = encode(65535);
    const lean = encode(65535, []);
    expect(readReply(full).counts).toEqual([1, 3, 0, 3]);
    expect(readReply(lean).counts).toEqual([1, 3, 0, 0]);
    expect(encode(full.length)).toEqual(full);
    // The last RRset (the AAAA of fd00::6, 28 bytes) goes first; the reply is otherwise the same.
    const lessOne = encode(full.length - 1);
    expect(readReply(lessOne).counts).toEqual([1, 3, 0, 2]);
    expect(lessOne.length).toBe(full.length - 28);
    expect(encode(lean.length)).toEqual(lean);
    const truncated = readReply(encode(lean.length - 1));
    expect([truncated.flags & 0x0200, truncated.counts]).toEqual([0x0200, [1, 0, 0, 0]]);
  });
});
