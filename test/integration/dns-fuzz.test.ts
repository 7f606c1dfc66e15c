import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { consola, type LogObject } from 'consola';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import { dig, readReply, sampleRegistry, startDns } from '../helpers/dns.ts';
import { mulberry32 } from '../helpers/fuzz.ts';

/** A small seeded generator, so a failing run can be replayed with FUZZ_SEED. */
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
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
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
      return Buffer.concat([
        base.subarray(0, 12),
        ...Array.from({ length: 6 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 97)])),
        Buffer.from([0, 0, 1, 0, 1]),
      ]);
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
beforeEach(async () => {
  ({ server, port } = await startDns(sampleRegistry(), { logger }));
});
afterEach(() => server.close());

/** Well-formed queries mixed into the fuzz, each with what its answer must hold. */
const wellFormed = [
  { query: query('_mysql._tcp.db.blog.prod.disco', 33, true), rcode: 0, answers: 3 },
  { query: query('_mysql._tcp.db.blog.prod.disco', 16, false), rcode: 0, answers: 2 },
  { query: query('db.blog.prod.disco', 1, true), rcode: 0, answers: 2 },
  { query: query('DB.Blog.prod.DISCO', 28, true), rcode: 0, answers: 1 },
  { query: query('_services._dns-sd._udp.disco', 12, true), rcode: 0, answers: 2 },
  { query: query('disco', 6, false), rcode: 0, answers: 1 },
  { query: query('cache.blog.prod.disco', 1, true), rcode: 3, answers: 0 },
  { query: query('a*b.disco', 1, false), rcode: 3, answers: 0 },
  { query: query('example.com', 1, true), rcode: 5, answers: 0 },
];

// FUZZ_PACKETS shortens the stream where the test runs over and over: mutation runs (stryker.vitest.config.ts).
const packets = Number(process.env.FUZZ_PACKETS ?? 100_000);

describe('DNS under hostile input', () => {
  it('answers every well-formed query in a stream of 100,000 random and mutated packets (FUZZ_PACKETS), correctly', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const random = mulberry32(seed);
    const noise = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    const clean = createSocket('udp4');
    let noiseReplies = 0;
    const malformedReplies: string[] = [];
    noise.on('message', (reply) => {
      noiseReplies++;
      // Whatever garbage came in, what goes out is a well-formed response.
      try {
        if (!(readReply(reply).flags & 0x8000)) malformedReplies.push(`not a response: ${reply.toString('hex')}`);
      } catch (error) {
        malformedReplies.push(`${(error as Error).message}: ${reply.toString('hex')}`);
      }
    });
    await Promise.all([noise, clean].map((socket) => new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))));

    // Each well-formed query's answer, asked in calm: checked here, then expected byte for byte.
    const pending = new Map<number, (reply: Buffer) => void>();
    clean.on('message', (reply) => pending.get(reply.readUInt16BE(0))?.(reply));
    let nextId = 0;
    const ask = (message: Buffer): Promise<Buffer> => {
      const id = nextId++ & 0xffff;
      const sent = Buffer.from(message);
      sent.writeUInt16BE(id, 0);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reply to well-formed query ${id} (seed ${seed})`)), 5000);
        pending.set(id, (reply) => {
          clearTimeout(timer);
          pending.delete(id);
          resolve(reply);
        });
        clean.send(sent, port, '127.0.0.1');
      });
    };
    const withoutId = (reply: Buffer) => reply.subarray(2).toString('hex');
    const expected: string[] = [];
    for (const { query: message, rcode, answers } of wellFormed) {
      const reply = readReply(await ask(message));
      expect([reply.rcode, reply.counts[1]]).toEqual([rcode, answers]);
      expected.push(withoutId(await ask(message)));
    }

    let checked = 0;
    for (let sent = 0; sent < packets; sent += 100) {
      for (let i = 0; i < 100; i++) noise.send(mutate(random), port, '127.0.0.1');
      const picks = Array.from({ length: 3 }, () => Math.floor(random() * wellFormed.length));
      const replies = await Promise.all(picks.map((pick) => ask(wellFormed[pick]!.query)));
      for (const [i, reply] of replies.entries()) expect(withoutId(reply), `seed ${seed}, query ${picks[i]}`).toBe(expected[picks[i]!]);
      checked += replies.length;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    noise.close();
    clean.close();
    expect(checked).toBe((packets / 100) * 3);
    expect(noiseReplies, `seed ${seed}`).toBeGreaterThan(0);
    expect(malformedReplies.slice(0, 5), `seed ${seed}`).toEqual([]);
    expect(
      internalErrors.map((entry) => entry.args),
      `seed ${seed}`,
    ).toEqual([]);

    // Garbage over TCP too: bad lengths, partial frames, abrupt closes.
    await Promise.all(
      Array.from(
        { length: 100 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const tcp = connect({ host: '127.0.0.1', port }, () => {
              tcp.end(i % 2 ? Buffer.from([0xff, 0xff, 1, 2, 3]) : Buffer.concat([Buffer.from([0, 30]), mutate(random).subarray(0, 30)]));
            });
            tcp.on('error', () => resolve()).on('close', () => resolve());
            tcp.setTimeout(1000, () => tcp.destroy());
          }),
      ),
    );

    // dig's own one-try, one-second budget is the bound on "promptly".
    const srv = await dig(port, '+time=1', '_mysql._tcp.db.blog.prod.disco', 'SRV');
    expect(srv.answer, `seed ${seed}`).toHaveLength(3);
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    expect((await resolver.resolve4('db.blog.prod.disco')).sort()).toEqual(['10.0.0.5', '10.0.0.6']);
    expect((await dig(port, '+tcp', '+time=1', 'db.blog.prod.disco', 'AAAA')).answer).toEqual(['db.blog.prod.disco. 5 IN AAAA fd00::6']);
  }, 120_000); // About 5 s alone; a loaded 2-core machine may take several times that.
});
