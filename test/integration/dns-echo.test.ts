// Issue 7 items 9-11: every reply echoes the question exactly as asked, negative answers carry
// the SOA whatever the name, and the DO and CD bits, the OPT record and the question come back on
// error replies too. Through dig where dig can ask, raw packets where it cannot.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import { dig, optRecord, rawTcp, rawUdp, readReply, sampleRegistry, startDns, wireQuery } from '../helpers/dns.ts';

let server: DnsServer;
let port: number;

beforeEach(async () => {
  ({ server, port } = await startDns(sampleRegistry()));
});
afterEach(() => server.close());

const SOA_LINE = /^disco\. 1 IN SOA ns\.disco\. hostmaster\.disco\. \d+ 3600 600 86400 1$/;

describe('BADVERS (EDNS version 1) echoes the question as asked', () => {
  it('keeps case, an escaped dot inside a label, and TYPE0', async () => {
    const r = await dig(port, '+edns=1', '+noednsneg', 'A\\.b.DISco', 'TYPE0');
    expect(r.status).toBe('BADVERS');
    expect(r.raw).toMatch(/^;A\\\.b\.DISco\.\s+IN\s+TYPE0$/m);
    expect(r.raw).toMatch(/EDNS: version: 0,/);
  });

  it('sends back the question bytes unchanged, with BADVERS in the extended rcode', async () => {
    const query = wireQuery('Db.BLOG.prod.disco', 0, { edns: { version: 1 } });
    const reply = readReply(await rawUdp(port, query));
    expect(reply.rcode).toBe(16);
    expect(reply.question).toEqual(query.subarray(12, query.length - 11));
  });
});

describe('NXDOMAIN carries the SOA for every name in the zone (RFC 2308 §3)', () => {
  it.each([
    ['a glob character', 'a*b.disco'],
    ['a space', 'a\\032b.disco'],
    ['a byte of 0x80 and more', '\\200x.blog.prod.disco'],
    ['an escaped dot', 'a\\.b.disco'],
  ])('a label with %s', async (_, name) => {
    const r = await dig(port, name, 'A');
    expect(r.status).toBe('NXDOMAIN');
    expect(r.flags).toContain('aa');
    expect(r.authority).toHaveLength(1);
    expect(r.authority[0]).toMatch(SOA_LINE);
  });

  it('with the question bytes as asked, over TCP too', async () => {
    const query = wireQuery('A b.Blog.disco', 1);
    const [reply] = await rawTcp(port, [query]);
    const read = readReply(reply!);
    expect(read.rcode).toBe(3);
    expect(read.question).toEqual(query.subarray(12));
    expect(read.records.map((record) => [record.section, record.type])).toEqual([['authority', 6]]);
  });
});

describe('DO and CD bits (RFC 3225, RFC 4035 §3.1.6)', () => {
  it('copies DO into the OPT record and CD into the header of an answer', async () => {
    const r = await dig(port, '+dnssec', '+cdflag', 'db.blog.prod.disco', 'A');
    expect(r.flags).toContain('cd');
    expect(r.raw).toMatch(/EDNS: version: 0, flags: do; udp: 1232/);
    expect(r.answer).toHaveLength(2);
    // The same name asked without them, right after: the cached reply is not stuck with them.
    const plain = await dig(port, 'db.blog.prod.disco', 'A');
    expect(plain.flags).not.toContain('cd');
    expect(plain.raw).toMatch(/EDNS: version: 0, flags:; udp: 1232/);
  });

  it.each([
    ['NXDOMAIN', 'nothing.disco', 'NXDOMAIN'],
    ['REFUSED outside the zones', 'example.com', 'REFUSED'],
    ['BADVERS', 'db.blog.prod.disco', 'BADVERS', '+edns=1'],
    ['NXDOMAIN for an unusual name', 'a*b.disco', 'NXDOMAIN'],
  ])('copies them on %s', async (_, name, status, ...extra) => {
    const r = await dig(port, '+dnssec', '+cdflag', '+noednsneg', ...extra, name, 'A');
    expect(r.status).toBe(status);
    expect(r.flags).toContain('cd');
    expect(r.raw).toMatch(/EDNS: version: 0, flags: do;/);
  });
});

describe('NOTIMP and FORMERR carry the OPT record and the question where they can (RFC 6891 §7)', () => {
  it('NOTIMP to a NOTIFY with EDNS: question, OPT with DO, CD', async () => {
    const r = await dig(port, '+opcode=notify', '+dnssec', '+cdflag', 'Disco', 'SOA');
    expect(r.status).toBe('NOTIMP');
    expect(r.raw).toMatch(/^;Disco\.\s+IN\s+SOA$/m);
    expect(r.raw).toMatch(/EDNS: version: 0, flags: do; udp: 1232/);
    expect(r.flags).toContain('cd');
  });

  it('FORMERR to a query with two OPT records: the question and one OPT', async () => {
    const query = wireQuery('db.blog.prod.disco', 1, { edns: { dnssecOk: true }, extra: optRecord({}), extraRecords: 1 });
    const reply = readReply(await rawUdp(port, query));
    expect(reply.rcode).toBe(1);
    expect(reply.question).toEqual(query.subarray(12, query.length - 22));
    expect(reply.records.map((record) => record.type)).toEqual([41]);
    expect(reply.records[0]!.ttl & 0x8000).toBe(0x8000); // DO
  });

  it('FORMERR to an EDNS query without a question: the OPT, and no question', async () => {
    const header = Buffer.from([0x42, 0x42, 0x01, 0x10, 0, 0, 0, 0, 0, 0, 0, 1]);
    const reply = readReply(await rawUdp(port, Buffer.concat([header, optRecord({})])));
    expect(reply).toMatchObject({ id: 0x4242, rcode: 1, counts: [0, 0, 0, 1] });
    expect(reply.flags & 0x0110).toBe(0x0110); // RD and CD, as asked
  });

  it('FORMERR to a query with a trailing garbage record: the question, and no OPT it could not read', async () => {
    const query = wireQuery('db.blog.prod.disco', 1, { extra: Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 9, 1]), extraRecords: 1 });
    const reply = readReply(await rawUdp(port, query));
    expect(reply).toMatchObject({ rcode: 1, counts: [1, 0, 0, 0] });
    expect(reply.question).toEqual(query.subarray(12, query.length - 12));
  });
});

describe('an NXDOMAIN with its SOA that does not fit', () => {
  it('is truncated over UDP, never larger than the client allows, and whole over TCP', async () => {
    const zone = `${['a', 'b', 'c'].map((letter) => letter.repeat(60)).join('.')}.disco`;
    const long = await startDns(sampleRegistry(), { zones: [{ name: zone }] });
    try {
      const udp = await dig(long.port, '+ignore', '+noedns', `a*b.${zone}`, 'A');
      expect(udp.status).toBe('NXDOMAIN');
      expect(udp.flags).toContain('tc');
      expect(udp.size).toBeLessThanOrEqual(512);
      const tcp = await dig(long.port, '+tcp', `a*b.${zone}`, 'A');
      expect(tcp.status).toBe('NXDOMAIN');
      expect(tcp.flags).not.toContain('tc');
      expect(tcp.authority[0]).toMatch(/ IN SOA ns\.a{60}\./);
    } finally {
      await long.server.close();
    }
  });
});
