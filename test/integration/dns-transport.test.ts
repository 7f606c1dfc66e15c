// How replies travel: the UDP size cap, what is dropped before TC is set, several queries on one
// TCP connection, and the TCP idle timeout. Forwarding has its own file (dns-forward.test.ts).

import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { dig, rawTcp, readReply, startDns, wireQuery } from '../helpers/dns.ts';

const NAME = '_mysql._tcp.db.big.prod.disco';

/** `count` endpoints of one name, each at its own address: SRV answers of about 40 bytes each. */
function endpoints(count: number): Registry {
  const registry = new Registry();
  for (let i = 0; i < count; i++) {
    registry.provide({
      name: 'mysql.db.big.prod',
      address: { host: `10.0.1.${i}`, port: 3306, protocol: 'tcp' },
      attributes: {},
      owner: 't',
    });
  }
  return registry;
}

describe('UDP size', () => {
  let server: DnsServer;
  let port: number;
  beforeEach(async () => {
    ({ server, port } = await startDns(endpoints(25)));
  });
  afterEach(() => server.close());

  it('caps UDP replies at 1,232 bytes, whatever larger size the client advertises', async () => {
    const tcp = await dig(port, '+tcp', NAME, 'SRV');
    expect(tcp.size).toBeGreaterThan(1232); // The whole answer does not fit, so the cap matters.
    for (const bufsize of [1400, 4096, 65535]) {
      const udp = await dig(port, '+ignore', `+bufsize=${bufsize}`, NAME, 'SRV');
      expect(udp.size, `bufsize ${bufsize}`).toBeLessThanOrEqual(1232);
      expect(udp.raw).toMatch(/udp: 1232/);
    }
  });

  it('drops additional records first (those that fit stay), and sets TC only when the answers themselves do not fit', async () => {
    const full = await dig(port, '+tcp', NAME, 'SRV');
    expect(full.answer).toHaveLength(25);
    expect(full.additional).toHaveLength(25);
    const lean = await dig(port, '+ignore', '+bufsize=1232', NAME, 'SRV');
    expect(lean.flags).not.toContain('tc');
    expect(lean.answer).toEqual(full.answer);
    expect(lean.additional.length).toBeLessThan(25);
    expect(lean.additional).toEqual(full.additional.slice(0, lean.additional.length));
    const truncated = await dig(port, '+ignore', '+noedns', NAME, 'SRV'); // 512 bytes: not even the answers fit.
    expect(truncated.flags).toContain('tc');
    expect(truncated.answer).toEqual([]);
    expect(truncated.size).toBeLessThanOrEqual(512);
  });
});

describe('TCP', () => {
  let server: DnsServer;
  let port: number;
  beforeEach(async () => {
    ({ server, port } = await startDns(endpoints(3), { tcpIdleMs: 300 }));
  });
  afterEach(() => server.close());

  it('answers every query pipelined on one connection, in one write', async () => {
    const questions = [
      wireQuery(NAME, 33, { id: 1 }),
      wireQuery('db.big.prod.disco', 1, { id: 2 }),
      wireQuery('nothing.disco', 1, { id: 3 }),
      wireQuery('disco', 6, { id: 4 }),
      wireQuery(NAME, 16, { id: 5 }),
    ];
    const replies = (await rawTcp(port, questions)).map(readReply);
    expect(replies.map((reply) => [reply.id, reply.rcode, reply.counts[1]]).sort()).toEqual([
      [1, 0, 3],
      [2, 0, 3],
      [3, 3, 0],
      [4, 0, 1],
      [5, 0, 1],
    ]);
  });

  it('answers a query split across writes, and one whose length prefix arrives alone', async () => {
    const query = wireQuery('db.big.prod.disco', 1, { id: 9 });
    const framed = Buffer.concat([Buffer.from([0, query.length]), query]);
    const socket = connect({ port, host: '127.0.0.1' });
    const reply = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    socket.write(framed.subarray(0, 2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write(framed.subarray(2, 9));
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write(framed.subarray(9));
    expect(readReply((await reply).subarray(2))).toMatchObject({ id: 9, rcode: 0, counts: [1, 3, 0, 0] });
    socket.destroy();
  });

  it('closes a connection that stays idle past the timeout, and not before', async () => {
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    const opened = performance.now();
    // Generous: on a loaded machine the close may come late, never early.
    const closed = await new Promise<number | 'still open'>((resolve) => {
      const timer = setTimeout(() => resolve('still open'), 10_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(performance.now());
      });
    });
    expect(closed).not.toBe('still open');
    expect((closed as number) - opened).toBeGreaterThanOrEqual(250);
  });
});
