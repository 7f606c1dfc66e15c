import { describe, expect, it } from 'vitest';
import { answer, TYPE } from '../../src/dns/answer.ts';
import { RCODE } from '../../src/dns/constants.ts';
import { encodeAnswer } from '../../src/dns/encode.ts';
import { addressLabel } from '../../src/dns/owners.ts';
import { parseQuery, type Query, Rejection } from '../../src/dns/query.ts';
import { errorReply } from '../../src/dns/reply.ts';
import { literalLookup } from '../../src/dns/udp-lookup.ts';
import { buildZoneView } from '../../src/dns/view.ts';
import { findZone, makeZone } from '../../src/dns/zones.ts';
import { Registry } from '../../src/registry/registry.ts';
import { optRecord, readReply, wireQuery } from '../helpers/dns.ts';

/** The name at `start`, which must end exactly at `end` without a compression pointer; '' if it does not. */
function uncompressedName(message: Buffer, start: number, end: number): string {
  const labels: string[] = [];
  let at = start;
  while (at < end) {
    const length = message[at]!;
    if (length & 0xc0) return ''; // a pointer
    if (length === 0) return at + 1 === end ? `${labels.join('.')}.` : '';
    labels.push(message.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
  }
  return '';
}

function registry() {
  const r = new Registry();
  const add = (name: string, host: string, port: number, attributes: Record<string, string> = {}) =>
    r.provide({ name, address: { host, port, protocol: 'tcp' }, attributes, owner: 's' });
  add('mysql.db.blog.prod', '10.0.0.5', 3306, { az: 'us-east-1a' });
  add('mysql.db.blog.prod', '10.0.0.6', 3306, { az: 'us-east-1b' });
  add('mysql.db.blog.prod', 'fd00::6', 3306);
  add('http.web.blog.prod', 'web.example.com', 80);
  return r;
}

describe('the query guard', () => {
  it('reads a query with EDNS, folding case', () => {
    const query = parseQuery(wireQuery('DB.Blog.prod.disco', TYPE.A, { edns: { size: 4096 } })) as Query;
    expect(query).toMatchObject({
      id: 0x1234,
      labels: ['db', 'blog', 'prod', 'disco'],
      plain: true,
      type: 1,
      recursionDesired: true,
      edns: { udpSize: 4096, version: 0 },
    });
  });

  it('reads the shortest question there is: the root', () => {
    const root = wireQuery('', 2);
    expect(root.length).toBe(17);
    expect(parseQuery(root)).toMatchObject({ labels: [], type: 2, class: 1, questionEnd: 17 });
  });

  it('reads whether recursion is desired', () => {
    expect((parseQuery(wireQuery('a.disco', 1, { flags: 0x0100 })) as Query).recursionDesired).toBe(true);
    expect((parseQuery(wireQuery('a.disco', 1, { flags: 0 })) as Query).recursionDesired).toBe(false);
  });

  it('ignores responses and packets shorter than a header', () => {
    expect(parseQuery(Buffer.alloc(5))).toEqual(new Rejection(undefined, 'shorter than a header'));
    const response = wireQuery('a.disco', 1, { flags: 0x8000 });
    expect(parseQuery(response)).toEqual(new Rejection(undefined, 'a response, not a query'));
    // A bare header is long enough to judge: no question, so FORMERR.
    const header = wireQuery('a.disco', 1).subarray(0, 12);
    header.writeUInt16BE(0, 4);
    expect(parseQuery(header)).toMatchObject({ rcode: RCODE.formErr, reason: '0 questions; exactly one is allowed' });
  });

  it('reads the OPT record only where the additional section is known to start', () => {
    // An OPT record right after the question, counted as an answer or authority record, or as one
    // of more additional records than a query may have: the error reply must not echo it.
    const opt = optRecord({ dnssecOk: true });
    const asAnswer = wireQuery('a.disco', 1, { extra: opt, extraRecords: 1 });
    asAnswer.writeUInt16BE(1, 6);
    const asAuthority = wireQuery('a.disco', 1, { extra: opt, extraRecords: 1 });
    asAuthority.writeUInt16BE(1, 8);
    const tooMany = wireQuery('a.disco', 1, {
      edns: { dnssecOk: true },
      extra: Buffer.concat(Array.from({ length: 4 }, () => opt)),
      extraRecords: 4,
    });
    for (const query of [asAnswer, asAuthority, tooMany]) {
      const rejection = parseQuery(query) as Rejection;
      expect(rejection.rcode).toBe(RCODE.formErr);
      expect(rejection.edns).toBeUndefined();
    }
    // The same OPT record where it belongs is read.
    expect((parseQuery(wireQuery('a.disco', 1, { extra: opt, extraRecords: 1 })) as Query).edns).toMatchObject({ dnssecOk: true });
  });

  /** A header with one question, then `rest` as it is. */
  const headed = (rest: number[], arcount = 0) => {
    const header = wireQuery('a.disco', 1).subarray(0, 12);
    header.writeUInt16BE(arcount, 10);
    return Buffer.concat([header, Buffer.from(rest)]);
  };
  const withCounts = (at: number, value: number) => {
    const query = wireQuery('a.disco', 1);
    query.writeUInt16BE(value, at);
    return query;
  };
  const record = (type: number, rdlength: number) =>
    Buffer.from([0, type >> 8, type & 255, 4, 0xd0, 0, 0, 0, 0, rdlength >> 8, rdlength & 255]);
  it.each([
    ['two questions', withCounts(4, 2), RCODE.formErr, '2 questions; exactly one is allowed'],
    ['no question', withCounts(4, 0), RCODE.formErr, '0 questions; exactly one is allowed'],
    ['an answer record in a query', withCounts(6, 1), RCODE.formErr, 'a query carries no answer or authority records'],
    ['an authority record in a query', withCounts(8, 1), RCODE.formErr, 'a query carries no answer or authority records'],
    ['65,535 additional records claimed', withCounts(10, 0xffff), RCODE.formErr, '65535 additional records'],
    ['an opcode other than QUERY', withCounts(2, 0x2800), RCODE.notImp, 'opcode 5 is not supported'],
    ['a question too short to hold a name, a type and a class', headed([1, 0x61, 0, 0]), RCODE.formErr, 'the question is missing'],
    ['a name with no end', headed([1, 0x61, 1, 0x62, 1, 0x63]), RCODE.formErr, 'question name runs past the end'],
    ['a label longer than what is left', headed([9, 0x61, 0x62, 0x63, 0x64]), RCODE.formErr, 'label runs past the end'],
    ['a label one byte longer than what is left', headed([5, 0x61, 0x62, 0x63, 0x64]), RCODE.formErr, 'label runs past the end'],
    ['a name without its type and class', headed([1, 0x61, 0, 0, 1]), RCODE.formErr, 'question type and class missing'],
    [
      'three additional records claimed, none sent',
      headed([1, 0x61, 0, 0, 1, 0, 1], 3),
      RCODE.formErr,
      'header counts claim more than the message holds',
    ],
    [
      'two additional records claimed, one byte sent',
      headed([1, 0x61, 0, 0, 1, 0, 1, 0], 2),
      RCODE.formErr,
      'header counts claim more than the message holds',
    ],
    [
      'an OPT record whose data runs past the end',
      Buffer.concat([headed([1, 0x61, 0, 0, 1, 0, 1], 1), record(41, 5)]),
      RCODE.formErr,
      'additional record data runs past the end',
    ],
    [
      'two OPT records',
      Buffer.concat([headed([1, 0x61, 0, 0, 1, 0, 1], 2), record(41, 0), record(41, 0)]),
      RCODE.formErr,
      'more than one OPT record',
    ],
  ])('answers %s with an error code and says why', (_, query, rcode, reason) => {
    expect(parseQuery(query)).toMatchObject({ rcode, reason });
  });

  it('reads the OPT record among as many additional records as a query may have', () => {
    const others = Buffer.concat(Array.from({ length: 3 }, () => Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])));
    const query = parseQuery(wireQuery('a.disco', 1, { edns: { dnssecOk: true }, extra: others, extraRecords: 3 }));
    expect(query).toMatchObject({ labels: ['a', 'disco'], edns: { dnssecOk: true } });
  });

  it('refuses a compression pointer or a loop in the question name', () => {
    const looped = Buffer.concat([wireQuery('a.disco', 1).subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect((parseQuery(looped) as Rejection).reason).toMatch(/compression/);
  });

  it('refuses names running past the end and names over 255 bytes', () => {
    expect((parseQuery(wireQuery('a.disco', 1).subarray(0, 16)) as Rejection).rcode).toBe(RCODE.formErr);
    const long = wireQuery(Array.from({ length: 5 }, () => 'x'.repeat(60)).join('.'), 1);
    expect((parseQuery(long) as Rejection).reason).toMatch(/255/);
  });

  it('reads a name of 255 bytes in wire form, the most there may be, and refuses one of 256', () => {
    // Three labels of 63 and one of 61: 3 × 64 + 62 + the root's zero byte = 255.
    const name = (last: number) => [...Array.from({ length: 3 }, () => 'x'.repeat(63)), 'y'.repeat(last)].join('.');
    expect((parseQuery(wireQuery(name(61), 1)) as Query).labels.at(-1)).toBe('y'.repeat(61));
    expect(parseQuery(wireQuery(name(62), 1))).toMatchObject({ rcode: RCODE.formErr, reason: 'question name longer than 255 bytes' });
  });

  it('rejects the 21-byte packet that claims 65,535 records per section at once', () => {
    const hostile = Buffer.alloc(21);
    hostile.writeUInt16BE(0xffff, 4);
    hostile.writeUInt16BE(0xffff, 6);
    hostile.writeUInt16BE(0xffff, 8);
    hostile.writeUInt16BE(0xffff, 10);
    expect((parseQuery(hostile) as Rejection).rcode).toBe(RCODE.formErr);
  });

  it('keeps the question and the OPT record of a packet it rejects, for the error reply to echo', () => {
    const notify = parseQuery(wireQuery('a.disco', 6, { flags: 0x2110, edns: { dnssecOk: true } })) as Rejection;
    expect(notify).toMatchObject({
      rcode: RCODE.notImp,
      question: { questionStart: 12, questionEnd: 25 },
      edns: { dnssecOk: true, version: 0 },
    });
    const reply = errorReply(wireQuery('a.disco', 6, { flags: 0x2110, edns: { dnssecOk: true } }), notify);
    expect(readReply(reply)).toMatchObject({ rcode: RCODE.notImp, counts: [1, 0, 0, 1], flags: 0xa110 | RCODE.notImp });
    const garbled = parseQuery(Buffer.concat([wireQuery('a.disco', 1).subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])])) as Rejection;
    expect(garbled.question).toBeUndefined();
    expect(
      readReply(errorReply(Buffer.concat([wireQuery('a.disco', 1).subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]), garbled)).counts,
    ).toEqual([0, 0, 0, 0]);
  });

  it('never makes an error reply larger than the query: no amplification', () => {
    for (const query of [
      wireQuery('a.disco', 1, { flags: 0x2800 }),
      wireQuery('a.disco', 1, { flags: 0x2800, edns: {} }),
      wireQuery('a.disco', 1, { edns: {}, extra: Buffer.from([0, 0, 1]), extraRecords: 1 }),
      Buffer.concat([Buffer.from([1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]), Buffer.from([0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0])]),
    ]) {
      const rejection = parseQuery(query) as Rejection;
      expect(rejection.rcode).toBeDefined();
      expect(errorReply(query, rejection).length).toBeLessThanOrEqual(query.length);
    }
  });

  it('refuses an OPT record owned by any name but the root', () => {
    const opt = Buffer.concat([Buffer.from([1, 0x78, 0]), Buffer.from([0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0])]);
    expect(parseQuery(wireQuery('a.disco', 1, { extra: opt, extraRecords: 1 }))).toMatchObject({
      rcode: RCODE.formErr,
      reason: 'OPT record not owned by the root',
    });
  });

  it('refuses an additional record whose name ends in half a pointer, or never ends', () => {
    // 11 bytes, the least a record takes, so only the name can be wrong: a label, then a pointer's first byte.
    const halfPointer = Buffer.concat([Buffer.from([9]), Buffer.from('abcdefghi'), Buffer.from([0xc0])]);
    // 129 one-byte labels and no end: the guard stops stepping after 128.
    const endless = Buffer.concat([...Array.from({ length: 129 }, () => Buffer.from([1, 0x78])), Buffer.alloc(10, 1)]);
    for (const extra of [halfPointer, endless]) {
      expect(parseQuery(wireQuery('a.disco', 1, { extra, extraRecords: 1 }))).toMatchObject({
        rcode: RCODE.formErr,
        reason: 'additional record runs past the end',
      });
    }
  });

  it('steps over the names of additional records, compressed or not, and no further than a name can go', () => {
    /** An A record with no data, owned by `name` (its bytes, the end included). */
    const owned = (name: number[]) => Buffer.from([...name, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
    const labels = (count: number) => Array.from({ length: count }, () => [1, 0x78]).flat();
    // The OPT record comes after the record stepped over: it is read only if the step lands exactly on it.
    const read = (record: Buffer) =>
      parseQuery(wireQuery('a.disco', 1, { extra: Buffer.concat([record, optRecord({ dnssecOk: true })]), extraRecords: 2 }));
    // Read past: a pointer to the question's name, two labels, and 127 labels (255 bytes, the longest name).
    for (const name of [
      [0xc0, 12],
      [1, 0x78, 1, 0x79, 0],
      [...labels(127), 0],
    ]) {
      expect(read(owned(name)), JSON.stringify(name.slice(0, 6))).toMatchObject({ labels: ['a', 'disco'], edns: { dnssecOk: true } });
    }
    // Refused: 128 labels, an extended label type (0x41 looks like a 65-byte label that ends well), a label past the end.
    for (const name of [
      [...labels(128), 0],
      [0x41, ...Array.from({ length: 65 }, () => 0x61), 0],
      [0x3f, 0x61],
    ]) {
      expect(read(owned(name)), JSON.stringify(name.slice(0, 6))).toMatchObject({
        rcode: RCODE.formErr,
        reason: 'additional record runs past the end',
      });
    }
  });

  it('folds the case of ASCII letters only, also in a name with bytes above ASCII (RFC 4343)', () => {
    const query = parseQuery(wireQuery('@AZ[\u00c0.Disco', 1)) as Query;
    expect(query.labels).toEqual(['@az[\u00c0', 'disco']);
    expect((parseQuery(wireQuery('\u00c0', 1)) as Query).labels).toEqual(['\u00c0']);
  });

  it('marks names with characters ours never have as not plain', () => {
    expect((parseQuery(wireQuery('a b.disco', 1)) as Query).plain).toBe(false);
    // Every byte counts, the first and the last of each label too.
    expect((parseQuery(wireQuery('!ab.disco', 1)) as Query).plain).toBe(false);
    expect((parseQuery(wireQuery('ab!.disco', 1)) as Query).plain).toBe(false);
    expect((parseQuery(wireQuery('a-b_c.disco', 1)) as Query).plain).toBe(true);
  });
});

describe('zones', () => {
  it('picks the most specific zone', () => {
    const zones = [makeZone({ name: 'disco' }), makeZone({ name: 'east.disco.' })];
    expect(findZone(zones, ['x', 'east', 'disco'])).toMatchObject({ zone: { origin: 'east.disco.' }, relative: ['x'] });
    expect(findZone(zones, ['x', 'disco'])).toMatchObject({ zone: { origin: 'disco.' }, relative: ['x'] });
    expect(findZone(zones, ['example', 'com'])).toBeUndefined();
    // Whatever order the zones are given in; the apex of a zone is inside it, a name shorter than it is not.
    const reversed = [...zones].reverse();
    expect(findZone(reversed, ['x', 'east', 'disco'])).toMatchObject({ zone: { origin: 'east.disco.' }, relative: ['x'] });
    expect(findZone(reversed, ['east', 'disco'])).toMatchObject({ zone: { origin: 'east.disco.' }, relative: [] });
    expect(findZone([makeZone({ name: 'east.disco' })], ['disco'])).toBeUndefined();
    // Of two zones with one name, the first given.
    const [first, second] = [makeZone({ name: 'disco', filter: { az: 'a' } }), makeZone({ name: 'disco', filter: { az: 'b' } })];
    expect(findZone([first, second], ['x', 'disco'])?.zone).toBe(first);
  });
});

describe('zone views', () => {
  it('names addresses with labels that are valid host names', () => {
    expect(addressLabel('10.0.0.5')).toBe('10-0-0-5');
    expect(addressLabel('fd00::6')).toBe('fd00-0-0-0-0-0-0-6');
    expect(addressLabel('::1')).toBe('0-0-0-0-0-0-0-1');
    expect(addressLabel('::ffff:10.0.0.1')).toBe('0-0-0-0-0-ffff-a00-1');
    expect(addressLabel('Web.Example.com')).toBe('web-example-com');
    expect(addressLabel('Web.Example.com.')).toBe('web-example-com');
    expect(addressLabel('fd00::')).toBe('fd00-0-0-0-0-0-0-0');
    expect(addressLabel('fd00:0:0:0:0:0:0:1')).toBe('fd00-0-0-0-0-0-0-1');
  });

  it('builds the grammar, with empty non-terminals existing', () => {
    const view = buildZoneView(makeZone({ name: 'disco' }), registry().list(), { nameServerAddresses: ['127.0.0.1'] });
    const srv = view.nodes.get('_mysql._tcp.db.blog.prod')!;
    expect(srv.srv.map((s) => s.target)).toEqual(['10-0-0-5.addr.disco.', '10-0-0-6.addr.disco.', 'fd00-0-0-0-0-0-0-6.addr.disco.']);
    expect(srv.txt).toEqual([['az=us-east-1a'], ['az=us-east-1b'], []]);
    expect(view.nodes.get('db.blog.prod')).toMatchObject({ a: ['10.0.0.5', '10.0.0.6'], aaaa: ['fd00::6'] });
    expect(view.nodes.get('_http._tcp.web.blog.prod')!.srv).toEqual([{ port: 80, target: 'web.example.com.' }]);
    expect(view.nodes.has('web.blog.prod')).toBe(false); // A host name is no A record.
    expect(view.names.has('blog.prod')).toBe(true);
    expect(view.names.has('prod')).toBe(true);
    expect(view.nodes.get('_services._dns-sd._udp')!.ptr).toEqual(['_http._tcp.web.blog.prod.disco.', '_mysql._tcp.db.blog.prod.disco.']);
  });

  it('shows only what a tag-filtered zone lets through', () => {
    const view = buildZoneView(makeZone({ name: 'east.disco', filter: { az: 'us-east-1a' } }), registry().list(), {
      nameServerAddresses: [],
    });
    expect(view.nodes.get('db.blog.prod')).toMatchObject({ a: ['10.0.0.5'], aaaa: [] });
  });
});

describe('answers', () => {
  // The view is built inside each test, not once for the file: mutation testing then knows which
  // test reaches the code that builds it (docs/testing.md, "Static mutants").
  const ask = (name: string, type: number) => {
    const view = buildZoneView(makeZone({ name: 'disco' }), registry().list(), { nameServerAddresses: ['127.0.0.1'] });
    return answer({ view, relative: name ? name.split('.') : [], type, ttl: 5, serial: 7 });
  };

  it('tells NXDOMAIN from NODATA, both with the SOA', () => {
    expect(ask('nothing.blog.prod', TYPE.A)).toMatchObject({
      rcode: RCODE.nxDomain,
      answers: [],
      authorities: [{ type: TYPE.SOA, serial: 7, minimum: 5 }],
    });
    expect(ask('blog.prod', TYPE.A)).toMatchObject({ rcode: RCODE.noError, answers: [], authorities: [{ type: TYPE.SOA }] });
    expect(ask('db.blog.prod', TYPE.TXT)).toMatchObject({ rcode: RCODE.noError, answers: [] });
  });

  it('puts the SRV targets addresses in the additional section', () => {
    const result = ask('_mysql._tcp.db.blog.prod', TYPE.SRV);
    expect(result.answers).toHaveLength(3);
    expect([...result.additionals].map((r) => r.address)).toEqual(['10.0.0.5', '10.0.0.6', 'fd00::6']);
  });

  it('answers ANY minimally', () => {
    expect(ask('db.blog.prod', TYPE.ANY).answers).toMatchObject([{ type: TYPE.HINFO }]);
  });

  it('never compresses an SRV target (RFC 2782): every one, in the answer and in the additional section', () => {
    const options = { authoritative: true, recursionAvailable: false, ednsPayloadSize: 1232 };
    const cases = [
      ['_mysql._tcp.db.blog.prod', TYPE.SRV, 3],
      ['_mysql._tcp.db.blog.prod', TYPE.PTR, 3], // DNS-SD browse: the instances' SRVs ride in the additional section.
      ['10-0-0-6-3306._mysql._tcp.db.blog.prod', TYPE.SRV, 1],
      ['_http._tcp.web.blog.prod', TYPE.SRV, 1],
    ] as const;
    for (const [name, type, count] of cases) {
      const query = parseQuery(wireQuery(`${name}.disco`, type)) as Query;
      const bytes = encodeAnswer(query, ask(name, type), options, 65535).reply;
      const targets = readReply(bytes)
        .records.filter((record) => record.type === TYPE.SRV)
        .map((record) => uncompressedName(bytes, record.rdataAt + 6, record.rdataAt + record.rdlength));
      expect(targets, `${name} ${type}`).toHaveLength(count);
      expect(
        targets.every((target) => target.endsWith('.')),
        `${name} ${type}: ${targets.join(' ')}`,
      ).toBe(true);
    }
  });

  it('keeps a UDP answer within the limit, setting TC when the answers do not fit', () => {
    const query = parseQuery(wireQuery('_mysql._tcp.db.blog.prod.disco', TYPE.SRV)) as Query;
    const options = { authoritative: true, recursionAvailable: false, ednsPayloadSize: 1232 };
    const small = encodeAnswer(query, ask('_mysql._tcp.db.blog.prod', TYPE.SRV), options, 100).reply;
    expect(small.length).toBeLessThanOrEqual(100);
    expect(small[2]! & 0x02).toBe(0x02);
  });
});

describe('the lookup replies are sent with', () => {
  const lookupOf = (address: string) =>
    new Promise<[string, number]>((resolve, reject) =>
      literalLookup(address, 4, (error, found, family) => (error ? reject(error) : resolve([found, family]))),
    );

  it('gives every IP back as it is, with its version, whatever was asked before it', async () => {
    for (const address of ['127.0.0.1', '127.0.0.1', '::1', '10.0.0.5', '::1', 'fd00::5', '127.0.0.1']) {
      expect(await lookupOf(address)).toEqual([address, address.includes(':') ? 6 : 4]);
    }
  });

  it('resolves a name, even after an IP', async () => {
    await lookupOf('127.0.0.1');
    const [address, family] = await lookupOf('localhost');
    expect(family).toBe(4);
    expect(address).toMatch(/^127\./);
  });
});
