// Golden answers: what each question gets, as zone-file text, so the behaviour reads at a glance.

import { describe, expect, it } from 'vitest';
import { type Answer, answer, type ResourceRecord } from '../../dns/answer.ts';
import { RCODE, TYPE } from '../../dns/constants.ts';
import { buildZoneView } from '../../dns/view.ts';
import { makeZone } from '../../dns/zones.ts';
import { sampleRegistry } from '../helpers/dns.ts';

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
  const section = (title: string, records: ResourceRecord[]) =>
    records.length ? [`;; ${title}`, ...records.map((rr) => `${rr.name} ${rr.ttl} IN ${TYPE_NAMES[rr.type]} ${rdata(rr)}`)] : [];
  return [
    `;; ${RCODE_NAMES[result.rcode]}`,
    ...section('ANSWER', result.answers),
    ...section('AUTHORITY', result.authorities),
    ...section('ADDITIONAL', result.additionals),
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
