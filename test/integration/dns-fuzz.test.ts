import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { Resolver } from 'node:dns/promises';
import { consola, type LogObject } from 'consola';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../dns/server.ts';
import { dig, sampleRegistry, startDns } from '../helpers/dns.ts';

/** A small seeded generator, so a failing run can be replayed with FUZZ_SEED. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function query(name: string, type: number, edns: boolean): Buffer {
  const labels = name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  const header = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0]);
  const opt = edns ? Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]) : Buffer.alloc(0);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, type, 0, 1]), opt]);
}

const seeds = [
  query('_mysql._tcp.db.blog.prod.disco', 33, true),
  query('_mysql._tcp.db.blog.prod.disco', 16, false),
  query('db.blog.prod.disco', 1, true),
  query('_services._dns-sd._udp.disco', 12, true),
  query('disco', 6, false),
  query('example.com', 1, true),
];

function mutate(random: () => number): Buffer {
  const pick = <T,>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const base = Buffer.from(pick(seeds));
  switch (Math.floor(random() * 8)) {
    case 0: // Pure noise.
      return Buffer.from(Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)));
    case 1: // Flipped bytes.
      for (let i = 0; i < 1 + random() * 6; i++) base[Math.floor(random() * base.length)] = Math.floor(random() * 256);
      return base;
    case 2: // Truncated.
      return base.subarray(0, Math.floor(random() * base.length));
    case 3: // Header counts larger than the message can hold.
      for (const at of [4, 6, 8, 10]) if (random() < 0.7) base.writeUInt16BE(random() < 0.5 ? 0xffff : Math.floor(random() * 65536), at);
      return base;
    case 4: // A compression pointer loop where the name should be.
      return Buffer.concat([base.subarray(0, 12), Buffer.from([0xc0, 12, 0xc0, 14]), base.subarray(12)]);
    case 5: // An oversized name of maximal labels.
      return Buffer.concat([base.subarray(0, 12), ...Array.from({ length: 6 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 97)])), Buffer.from([0, 0, 1, 0, 1])]);
    case 6: // Garbage appended.
      return Buffer.concat([base, Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)))]);
    default: // A response instead of a query, or another opcode.
      base[2] = random() < 0.5 ? base[2]! | 0x80 : (base[2]! & 0x87) | (Math.floor(random() * 16) << 3);
      return base;
  }
}

let server: DnsServer;
let port: number;
// The server's last line of defence logs what it catches: a fuzzer must find nothing there.
const internalErrors: LogObject[] = [];
const logger = consola.create({ reporters: [{ log: (entry) => void (entry.type === 'error' && internalErrors.push(entry)) }] });
beforeAll(async () => {
  ({ server, port } = await startDns(sampleRegistry(), { logger }));
});
afterAll(() => server.close());

describe('DNS under hostile input', () => {
  it('survives 100,000 random and mutated packets and still answers correctly, promptly', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const random = mulberry32(seed);
    const socket = createSocket('udp4');
    let replies = 0;
    socket.on('message', () => replies++);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    for (let sent = 0; sent < 100_000; sent += 500) {
      for (let i = 0; i < 500; i++) socket.send(mutate(random), port, '127.0.0.1');
      await new Promise((resolve) => setImmediate(resolve)); // Let the server read what arrived.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.close();
    expect(replies, `seed ${seed}`).toBeGreaterThan(1000); // It was answering throughout, not wedged.
    expect(internalErrors.map((entry) => entry.args), `seed ${seed}`).toEqual([]);

    // Garbage over TCP too: bad lengths, partial frames, abrupt closes.
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => new Promise<void>((resolve) => {
        const tcp = connect({ host: '127.0.0.1', port }, () => {
          tcp.end(i % 2 ? Buffer.from([0xff, 0xff, 1, 2, 3]) : Buffer.concat([Buffer.from([0, 30]), mutate(random).subarray(0, 30)]));
        });
        tcp.on('error', () => resolve()).on('close', () => resolve());
        tcp.setTimeout(1000, () => tcp.destroy());
      })),
    );

    // dig's own one-try, one-second budget is the bound on "promptly".
    const srv = await dig(port, '+time=1', '_mysql._tcp.db.blog.prod.disco', 'SRV');
    expect(srv.answer, `seed ${seed}`).toHaveLength(3);
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    expect((await resolver.resolve4('db.blog.prod.disco')).sort()).toEqual(['10.0.0.5', '10.0.0.6']);
    expect((await dig(port, '+tcp', '+time=1', 'db.blog.prod.disco', 'AAAA')).answer).toEqual(['db.blog.prod.disco. 5 IN AAAA fd00::6']);
  });
});
