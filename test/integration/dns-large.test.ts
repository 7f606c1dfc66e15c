// Names with thousands of endpoints, through real sockets and dig: a UDP question gets TC at once,
// a TCP question gets as many records as one message holds, rotating so that every endpoint is
// served over a few answers, and a normal question is answered meanwhile.

import dns2 from 'dns2';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { dig, rawTcp, rawUdp, readReply, sampleRegistry, startDns, wireQuery } from '../helpers/dns.ts';

const SRV = '_http._tcp.web.big.prod.disco';

/** The sample registry, and `count` endpoints of one name, each at its own address. */
function registryWith(count: number): Registry {
  const registry = sampleRegistry();
  for (let i = 0; i < count; i++) {
    const host = `10.${100 + ((i >> 16) & 255)}.${(i >> 8) & 255}.${i & 255}`;
    registry.provide({ name: 'http.web.big.prod', address: { host, port: 8080, protocol: 'tcp' }, attributes: {}, owner: 't' });
  }
  return registry;
}

interface Decoded {
  answers: { type: number; target?: string; address?: string }[];
}

let server: DnsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a name with 2,000 endpoints', () => {
  it('over UDP: TC and the question only, which dig reads', async () => {
    let port: number;
    ({ server, port } = await startDns(registryWith(2000)));
    const reply = await dig(port, '+ignore', SRV, 'SRV');
    expect(reply.status).toBe('NOERROR');
    expect(reply.flags).toContain('tc');
    expect(reply.answer).toEqual([]);
    expect(reply.size).toBeLessThanOrEqual(1232);
  });

  it('over TCP: as many SRV records as fit in one message, without TC, which dig reads whole', async () => {
    let port: number;
    ({ server, port } = await startDns(registryWith(2000)));
    const reply = await dig(port, '+tcp', SRV, 'SRV');
    expect(reply.status).toBe('NOERROR');
    expect(reply.flags).not.toContain('tc');
    expect(reply.size).toBeLessThanOrEqual(65535);
    // About 40 bytes a record: 2,000 do not fit, well over a thousand do. The additional section goes first.
    expect(reply.answer.length).toBeGreaterThan(1000);
    expect(reply.answer.length).toBeLessThan(2000);
    expect(reply.additional).toEqual([]);
  });

  it('over TCP: successive answers carry different endpoints, and a few answers serve them all', async () => {
    let port: number;
    ({ server, port } = await startDns(registryWith(2000)));
    const served = new Set<string>();
    const answers: Set<string>[] = [];
    for (let i = 0; i < 3; i++) {
      const [reply] = await rawTcp(port, [wireQuery(SRV, 33, { id: i })]);
      const packet = dns2.Packet.parse(reply!) as unknown as Decoded;
      const targets = new Set(packet.answers.map((rr) => rr.target!));
      answers.push(targets);
      for (const target of targets) served.add(target);
    }
    expect([...answers[1]!].filter((target) => answers[0]!.has(target)).length).toBeLessThan(answers[0]!.size);
    expect(served.size).toBe(2000);
  });
});

describe('a name with 30,000 endpoints', () => {
  it('is answered over UDP and TCP, for every type, and a normal question is answered in between', async () => {
    let port: number;
    ({ server, port } = await startDns(registryWith(30_000)));
    await dig(port, '+time=30', 'db.blog.prod.disco', 'A'); // The zone's view is built once, on the first question.
    const questions = [
      { name: SRV, type: 33 },
      { name: SRV, type: 12 },
      { name: 'web.big.prod.disco', type: 1 },
    ];
    const tcp = rawTcp(
      port,
      questions.flatMap(({ name, type }, i) => [wireQuery(name, type, { id: 2 * i }), wireQuery(name, type, { id: 2 * i + 1 })]),
      2 * questions.length,
      20_000,
    );
    const udp = Promise.all(questions.map(({ name, type }, i) => rawUdp(port, wireQuery(name, type, { id: 100 + i }), 20_000)));
    // A client with dig's usual patience (2 s, no retry) gets its answer while those are made.
    const normal = await dig(port, 'db.blog.prod.disco', 'A');
    expect(normal.answer).toEqual(['db.blog.prod.disco. 5 IN A 10.0.0.5', 'db.blog.prod.disco. 5 IN A 10.0.0.6']);
    for (const reply of await tcp) {
      const { counts, flags } = readReply(reply);
      expect(flags & 0x0200).toBe(0);
      expect(counts[1]).toBeGreaterThan(1000);
      expect(reply.length).toBeLessThanOrEqual(65535);
    }
    for (const reply of await udp) expect(readReply(reply).flags & 0x0200).toBe(0x0200);
  });
});

describe('AAAA records of IPv6 addresses written with a dotted quad', () => {
  it('are what dig reads back, and the address names say the same address', async () => {
    const registry = new Registry();
    for (const host of ['::ffff:10.0.0.1', '64:ff9b::192.0.2.33']) {
      registry.provide({ name: 'http.v6.blog.prod', address: { host, port: 80, protocol: 'tcp' }, attributes: {}, owner: 't' });
    }
    let port: number;
    ({ server, port } = await startDns(registry));
    const reply = await dig(port, 'v6.blog.prod.disco', 'AAAA');
    expect(reply.answer.map((line) => line.split(' ').at(-1)).sort()).toEqual(['64:ff9b::c000:221', '::ffff:10.0.0.1']);
    const srv = await dig(port, '_http._tcp.v6.blog.prod.disco', 'SRV');
    expect(srv.additional.map((line) => line.split(' ').at(-1)).sort()).toEqual(['64:ff9b::c000:221', '::ffff:10.0.0.1']);
    expect(srv.answer.map((line) => line.split(' ').at(-1)).sort()).toEqual([
      '0-0-0-0-0-ffff-a00-1.addr.disco.',
      '64-ff9b-0-0-0-0-c000-221.addr.disco.',
    ]);
  });
});
