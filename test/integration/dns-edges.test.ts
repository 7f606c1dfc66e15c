// The DNS server at its edges: IPv6 sockets, the address it names as its own name server, listening
// and closing, a TCP connection reset under it, and what an internal error or a socket error costs
// (one answer, one log line; never the server).

import { execFile } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { promisify } from 'node:util';
import { consola, type LogObject } from 'consola';
import { describe, expect, it, vi } from 'vitest';
import { RCODE, TYPE } from '../../src/dns/constants.ts';
import { DnsServer } from '../../src/dns/server.ts';
import type { RegistryReader } from '../../src/registry/reader.ts';
import { Registry } from '../../src/registry/registry.ts';
import { dig, framed, readReply, replyWith, sampleRegistry, udpPeer, wireQuery } from '../helpers/dns.ts';
import { quietLogger } from '../helpers/logging.ts';

const run = promisify(execFile);

/** dig against [::1]:port, its answer section one record a line. */
async function digV6(port: number, ...args: string[]): Promise<string[]> {
  const { stdout } = await run('dig', ['@::1', '-p', String(port), '+time=2', '+tries=1', '+short', ...args]);
  return stdout.split('\n').filter(Boolean);
}

/** A logger that keeps each line's type and text. */
function recordingLogger() {
  const lines: string[] = [];
  const logger = consola.create({ reporters: [{ log: (entry: LogObject) => void lines.push(`${entry.type}: ${entry.args.join(' ')}`) }] });
  return { logger, lines };
}

describe('IPv6', () => {
  it('serves on ::1 over UDP and TCP, and forwards to a resolver on ::1', async () => {
    // An upstream on ::1 that answers every query with one A record.
    const upstream = createSocket('udp6');
    upstream.on('message', (query, from) => upstream.send(replyWith(query, 7), from.port, from.address));
    await new Promise<void>((resolve) => upstream.bind(0, '::1', resolve));
    const server = new DnsServer(sampleRegistry(), {
      host: '::1',
      port: 0,
      logger: quietLogger,
      recursors: [{ host: '::1', port: upstream.address().port }],
    });
    const { udp } = await server.listen();
    try {
      expect((await digV6(udp.port, 'db.blog.prod.disco', 'A')).sort()).toEqual(['10.0.0.5', '10.0.0.6']);
      expect(await digV6(udp.port, '+tcp', 'db.blog.prod.disco', 'AAAA')).toEqual(['fd00::6']);
      expect(await digV6(udp.port, 'www.example.test', 'A')).toEqual(['192.0.2.7']);
    } finally {
      upstream.close();
      await server.close();
    }
  });
});

describe('its own name server', () => {
  const nsAddresses = (host: string) => {
    const server = new DnsServer(sampleRegistry(), { host, port: 0, logger: quietLogger });
    const reply = readReply(server.handle(wireQuery('disco', TYPE.NS), udpPeer('127.0.0.1'))!);
    return reply.records.filter((record) => record.section === 'additional' && record.type !== TYPE.OPT).map((record) => record.type);
  };

  it('is ns.<zone>, at the address it listens on, and has no address when it listens on every address', () => {
    expect(nsAddresses('127.0.0.1')).toEqual([TYPE.A]);
    expect(nsAddresses('0.0.0.0')).toEqual([]);
    expect(nsAddresses('::')).toEqual([]);
    // Unless told, the server listens on 127.0.0.1 (port 8600), and names it.
    const byDefault = new DnsServer(sampleRegistry(), { logger: quietLogger });
    expect([byDefault.options.host, byDefault.options.port]).toEqual(['127.0.0.1', 8600]);
  });
});

describe('errors inside the server', () => {
  it('answer SERVFAIL with the query id, log the error, and leave other zones and other queries served', async () => {
    const broken: RegistryReader = {
      version: 1,
      list: () => {
        throw new Error('the registry is broken');
      },
      addListener: () => {},
    };
    const { logger, lines } = recordingLogger();
    const server = new DnsServer(broken, { host: '127.0.0.1', port: 0, logger });
    const reply = server.handle(wireQuery('db.blog.prod.disco', TYPE.A, { id: 4242 }), udpPeer('127.0.0.1'));
    expect(reply && readReply(reply)).toMatchObject({ id: 4242, rcode: RCODE.servFail });
    expect(lines).toEqual([expect.stringMatching(/^error: .*the registry is broken/)]);
    // Outside the zones, nothing reads the registry: REFUSED as ever.
    const refused = server.handle(wireQuery('www.example.test', TYPE.A, { id: 7 }), udpPeer('127.0.0.1'));
    expect(refused && readReply(refused)).toMatchObject({ id: 7, rcode: RCODE.refused });
  });

  it('a UDP socket error is logged as a warning, and the server still answers', async () => {
    const { logger, lines } = recordingLogger();
    const server = new DnsServer(new Registry(), { host: '127.0.0.1', port: 0, logger });
    const { udp } = await server.listen();
    try {
      (server as unknown as { udp: UdpSocket }).udp.emit('error', new Error('boom'));
      expect(lines).toEqual(['warn: udp: boom']);
      expect((await dig(udp.port, 'disco', 'SOA')).status).toBe('NOERROR');
    } finally {
      await server.close();
    }
  });
});

describe('listening', () => {
  it('on a fixed port whose TCP side is taken fails with EADDRINUSE, and lets go of the UDP side', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const server = new DnsServer(new Registry(), { host: '127.0.0.1', port, logger: quietLogger });
      await expect(server.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      // The UDP side was let go: a socket binds it.
      const udp = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, '127.0.0.1', resolve);
      });
      udp.close();
    } finally {
      taken.close();
    }
  });

  it('tries ten kernel-picked ports when UDP and TCP cannot share one, a fixed port once, and gives up at once on other errors', async () => {
    const triesOf = async (port: number, code: string) => {
      const server = new DnsServer(new Registry(), { host: '127.0.0.1', port, logger: quietLogger });
      let tries = 0;
      // Every try fails alike: EADDRINUSE as when the kernel picks a UDP port whose TCP twin is in use.
      (server as unknown as { bind(): Promise<never> }).bind = async () => {
        tries++;
        throw Object.assign(new Error(`listen ${code}`), { code });
      };
      await expect(server.listen()).rejects.toMatchObject({ code });
      return tries;
    };
    expect(await triesOf(0, 'EADDRINUSE')).toBe(10);
    expect(await triesOf(5353, 'EADDRINUSE')).toBe(1);
    expect(await triesOf(0, 'EACCES')).toBe(1);
  });

  it('on an address this machine does not have fails at once with the system error', async () => {
    const server = new DnsServer(new Registry(), { host: '192.0.2.1', port: 0, logger: quietLogger });
    await expect(server.listen()).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });

  it('lets go of both sides on close, and a server that never listened closes too', async () => {
    const server = new DnsServer(new Registry(), { host: '127.0.0.1', port: 0, logger: quietLogger });
    const { udp } = await server.listen();
    await server.close();
    const again = new DnsServer(new Registry(), { host: '127.0.0.1', port: udp.port, logger: quietLogger });
    await expect(again.listen()).resolves.toMatchObject({ udp: { port: udp.port }, tcp: { port: udp.port } });
    await again.close();
    await expect(new DnsServer(new Registry(), { logger: quietLogger }).close()).resolves.toBeUndefined();
  });
});

describe('TCP connections', () => {
  it('a connection reset by its client, with answers still waiting to go, is forgotten, and the server goes on answering', async () => {
    const server = new DnsServer(sampleRegistry(), { host: '127.0.0.1', port: 0, logger: quietLogger });
    const { tcp } = await server.listen();
    try {
      const client = connect({ host: '127.0.0.1', port: tcp.port });
      await new Promise<void>((resolve) => client.once('connect', resolve));
      await vi.waitFor(() => expect(server.tcpLoad.connections).toBe(1));
      // A client that asks and reads nothing: the answers wait in the server's send queue until the
      // client resets the connection, and then fail to go (ECONNRESET).
      client.pause();
      const question = wireQuery('_mysql._tcp.db.blog.prod.disco', TYPE.SRV);
      client.write(Buffer.concat(Array.from({ length: 3000 }, () => framed(question))));
      await new Promise((resolve) => setTimeout(resolve, 200));
      client.resetAndDestroy();
      await vi.waitFor(() => expect(server.tcpLoad.connections).toBe(0));
      expect((await dig(tcp.port, '+tcp', 'db.blog.prod.disco', 'AAAA')).answer).toEqual(['db.blog.prod.disco. 5 IN AAAA fd00::6']);
    } finally {
      await server.close();
    }
  });
});
