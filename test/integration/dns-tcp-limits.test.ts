// What one DNS-over-TCP asker may cost: a connection that sends 10,000 queries and reads none of
// the answers holds a bounded number of bytes in the server, and others are still answered; and
// connections past the caps, in total or from one address, are closed at once.

import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_UNSENT_BYTES } from '../../src/dns/tcp.ts';
import { Registry } from '../../src/registry/registry.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { dig, framed, rawTcp, readReply, startDns, wireQuery } from '../helpers/dns.ts';
import { eventually, sleep } from '../helpers/wait.ts';

const NAME = '_mysql._tcp.db.big.prod.disco';

/** 60 endpoints of one name: each SRV answer is a few KiB, so 10,000 of them would be tens of MiB. */
function bigName(): Registry {
  const registry = new Registry();
  for (let i = 0; i < 60; i++) {
    registry.provide({
      name: 'mysql.db.big.prod',
      address: { host: `10.0.1.${i}`, port: 3306, protocol: 'tcp' },
      attributes: {},
      owner: 't',
    });
  }
  return registry;
}

async function opened(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {});
  onCleanup(() => socket.destroy());
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

function closedByServer(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.closed) return resolve(true);
    const timer = setTimeout(() => resolve(false), 3000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('DNS over TCP, flooded by a connection that never reads', () => {
  it('holds at most 512 KiB for it, over a second of its 10,000 queries, and still answers others over TCP and UDP', async () => {
    const { server, port } = await startDns(bigName());
    onCleanup(() => server.close());
    const flood = await opened(port);
    flood.pause();
    const query = framed(wireQuery(NAME, 33, { id: 1 }));
    flood.write(Buffer.concat(Array.from({ length: 10_000 }, () => query)));
    // The bound: the unsent replies one connection may have, a chunk read and a message beyond it.
    const bound = 512 * 1024;
    expect(MAX_UNSENT_BYTES + 2 * 65_538).toBeLessThan(bound);
    await eventually(() => server.tcpLoad.heldBytes > 0);
    let most = 0;
    for (let sample = 0; sample < 100; sample++) {
      most = Math.max(most, server.tcpLoad.heldBytes);
      await sleep(10);
    }
    expect(most).toBeLessThanOrEqual(bound);
    expect(server.tcpLoad.connections).toBe(1);

    const [reply] = await rawTcp(port, [wireQuery('db.big.prod.disco', 1, { id: 2 })]);
    expect(readReply(reply!)).toMatchObject({ id: 2, rcode: 0 });
    expect((await dig(port, 'db.big.prod.disco', 'A')).status).toBe('NOERROR');
    expect(server.tcpLoad.heldBytes).toBeLessThanOrEqual(bound);
  });
});

describe('DNS over TCP at its connection caps', () => {
  it('closes a connection past the cap from one address, and past the total, at once; and takes one again once one goes', async () => {
    const { server, port } = await startDns(bigName(), { tcpMaxConnections: 4, tcpMaxConnectionsPerSource: 2 });
    onCleanup(() => server.close());
    const first = await opened(port, '127.0.0.2');
    await opened(port, '127.0.0.2');
    await eventually(() => server.tcpLoad.connections === 2);
    expect(await closedByServer(await opened(port, '127.0.0.2'))).toBe(true);
    await opened(port, '127.0.0.3');
    await opened(port, '127.0.0.3');
    await eventually(() => server.tcpLoad.connections === 4);
    expect(await closedByServer(await opened(port, '127.0.0.4'))).toBe(true);
    expect(server.tcpLoad.connections).toBe(4);

    first.destroy();
    await eventually(() => server.tcpLoad.connections === 3);
    const [reply] = await rawTcp(port, [wireQuery('db.big.prod.disco', 1, { id: 3 })]);
    expect(readReply(reply!)).toMatchObject({ id: 3, rcode: 0 });
  });
});
