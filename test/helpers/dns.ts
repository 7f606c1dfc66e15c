import { execFile } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { DnsServer, type DnsServerOptions } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { quietLogger } from './logging.ts';
import { retryOnAddressInUse } from './ports.ts';

const run = promisify(execFile);

export async function startDns(registry: Registry, options: Partial<DnsServerOptions> = {}) {
  const server = new DnsServer(registry, { host: '127.0.0.1', port: 0, logger: quietLogger, ...options });
  const { udp } = await server.listen();
  return { server, port: udp.port };
}

export interface Dig {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  size: number;
  raw: string;
}

/** Runs dig against 127.0.0.1:port and returns its sections, one record a line, whitespace folded. */
export async function dig(port: number, ...args: string[]): Promise<Dig> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+norec', '+time=2', '+tries=1', ...args]);
  const section = (title: string) => {
    const match = new RegExp(`;; ${title} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(stdout);
    return match
      ? match[1]!
          .split('\n')
          .filter(Boolean)
          .map((line) => line.replace(/\s+/g, ' ').trim())
      : [];
  };
  return {
    status: /status: (\w+)/.exec(stdout)?.[1] ?? '',
    flags: (/;; flags: ([^;]*);/.exec(stdout)?.[1] ?? '').trim().split(' ').filter(Boolean),
    answer: section('ANSWER'),
    authority: section('AUTHORITY'),
    additional: section('ADDITIONAL'),
    size: Number(/MSG SIZE\s+rcvd: (\d+)/.exec(stdout)?.[1] ?? NaN),
    raw: stdout,
  };
}

export function sampleRegistry(): Registry {
  const registry = new Registry();
  const add = (name: string, host: string, port: number, attributes: Record<string, string> = {}) =>
    registry.provide({ name, address: { host, port, protocol: 'tcp' }, attributes, owner: 'test' });
  add('mysql.db.blog.prod', '10.0.0.5', 3306, { az: 'us-east-1a', role: 'primary' });
  add('mysql.db.blog.prod', '10.0.0.6', 3306, { az: 'us-east-1b' });
  add('mysql.db.blog.prod', 'fd00::6', 3306, { az: 'us-east-1b' });
  add('http.web.blog.prod', '10.0.0.9', 8080);
  return registry;
}

export interface WireQueryOptions {
  id?: number;
  /** The header's flags word; 0x0100 (RD) unless told. */
  flags?: number;
  qclass?: number;
  /** An OPT record: the advertised UDP size, the EDNS version, the DO bit. */
  edns?: { size?: number; version?: number; dnssecOk?: boolean };
  /** Raw bytes appended to the additional section, counted in ARCOUNT as `extraRecords`. */
  extra?: Buffer;
  extraRecords?: number;
}

/** A query in wire form, built by hand so tests control every byte. Labels are written as given (latin1). */
export function wireQuery(name: string, type: number, options: WireQueryOptions = {}): Buffer {
  const labels = name
    .split('.')
    .filter(Boolean)
    .map((label) => Buffer.concat([Buffer.from([Buffer.byteLength(label, 'latin1')]), Buffer.from(label, 'latin1')]));
  const opt = options.edns ? optRecord(options.edns) : Buffer.alloc(0);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(options.id ?? 0x1234, 0);
  header.writeUInt16BE(options.flags ?? 0x0100, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE((options.edns ? 1 : 0) + (options.extraRecords ?? 0), 10);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(options.qclass ?? 1, 2);
  return Buffer.concat([header, ...labels, Buffer.from([0]), tail, opt, options.extra ?? Buffer.alloc(0)]);
}

export function optRecord({ size = 1232, version = 0, dnssecOk = false }: NonNullable<WireQueryOptions['edns']>): Buffer {
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(41, 1);
  opt.writeUInt16BE(size, 3);
  opt[6] = version;
  opt.writeUInt16BE(dnssecOk ? 0x8000 : 0, 7);
  return opt;
}

export interface WireRecord {
  section: 'answer' | 'authority' | 'additional';
  /** The owner name's offset in the message. */
  nameAt: number;
  type: number;
  class: number;
  ttl: number;
  rdataAt: number;
  rdlength: number;
}

export interface WireReply {
  id: number;
  flags: number;
  rcode: number;
  counts: [number, number, number, number];
  /** The question section's bytes, exactly as sent back. */
  question: Buffer;
  records: WireRecord[];
  opt: WireRecord | undefined;
}

/** Reads a reply's header and record boundaries (no names decoded): enough to check what the wire holds. */
export function readReply(message: Buffer): WireReply {
  const counts = [4, 6, 8, 10].map((at) => message.readUInt16BE(at)) as WireReply['counts'];
  let offset = 12;
  for (let i = 0; i < counts[0]; i++) offset = skipName(message, offset) + 4;
  const question = message.subarray(12, offset);
  const records: WireRecord[] = [];
  const sections = ['answer', 'authority', 'additional'] as const;
  sections.forEach((section, s) => {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const nameAt = offset;
      const after = skipName(message, offset);
      const rdlength = message.readUInt16BE(after + 8);
      records.push({
        section,
        nameAt,
        type: message.readUInt16BE(after),
        class: message.readUInt16BE(after + 2),
        ttl: message.readUInt32BE(after + 4),
        rdataAt: after + 10,
        rdlength,
      });
      offset = after + 10 + rdlength;
    }
  });
  if (offset !== message.length) throw new Error(`reply has ${message.length - offset} bytes after its last record`);
  const flags = message.readUInt16BE(2);
  const opt = records.find((record) => record.type === 41);
  return {
    id: message.readUInt16BE(0),
    flags,
    rcode: (flags & 0xf) | (opt ? message[opt.rdataAt - 6]! << 4 : 0),
    counts,
    question,
    records,
    opt,
  };
}

export function skipName(message: Buffer, offset: number): number {
  for (;;) {
    const length = message[offset]!;
    if (length === 0) return offset + 1;
    if ((length & 0xc0) === 0xc0) return offset + 2;
    offset += 1 + length;
  }
}

/** One datagram to the server on 127.0.0.1, and its reply. */
export function rawUdp(port: number, message: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no reply'));
    }, timeoutMs);
    socket.on('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    });
    socket.send(message, port, '127.0.0.1');
  });
}

/** Sends messages over one TCP connection in a single write, and collects `expected` replies. */
export function rawTcp(port: number, messages: Buffer[], expected = messages.length, timeoutMs = 5000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const replies: Buffer[] = [];
    let received = Buffer.alloc(0);
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(Buffer.concat(messages.map(framed)));
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${replies.length} of ${expected} replies within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        replies.push(received.subarray(2, 2 + received.readUInt16BE(0)));
        received = received.subarray(2 + received.readUInt16BE(0));
      }
      if (replies.length >= expected) {
        clearTimeout(timer);
        socket.destroy();
        resolve(replies);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** An upstream's reply to `query`: one A record, 192.0.2.LAST. */
export function replyWith(query: Buffer, last: number): Buffer {
  const reply = Buffer.from(query);
  reply[2] = 0x81; // QR, RD
  reply[3] = 0x80; // RA
  reply.writeUInt16BE(1, 6);
  reply.writeUInt16BE(0, 10);
  const end = 12 + readReply(query).question.length;
  return Buffer.concat([reply.subarray(0, end), Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 192, 0, 2, last])]);
}

/** A DNS message with its two-byte length, as it goes over TCP. */
export function framed(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from([message.length >> 8, message.length & 255]), message]);
}

export interface Upstream {
  readonly port: number;
  close(): void;
}

/**
 * A stand-in upstream resolver on 127.0.0.1: UDP and TCP on one port, each side answering as told.
 * With port 0 the kernel picks a port free for UDP, which TCP may not have free: then both let go
 * and another port is tried.
 */
export function startUpstream(
  onUdp: (query: Buffer, reply: (message: Buffer) => void) => void,
  onTcp: (query: Buffer, socket: Socket) => void,
): Promise<Upstream> {
  return retryOnAddressInUse(() => bindUpstream(onUdp, onTcp), 10);
}

async function bindUpstream(
  onUdp: (query: Buffer, reply: (message: Buffer) => void) => void,
  onTcp: (query: Buffer, socket: Socket) => void,
): Promise<Upstream> {
  const udp = createSocket('udp4');
  udp.on('message', (query, from) => onUdp(query, (message) => udp.send(message, from.port, from.address)));
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const port = udp.address().port;
  const sockets = new Set<Socket>();
  const tcp = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk) => onTcp(chunk.subarray(2), socket));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, '127.0.0.1', resolve);
    });
  } catch (error) {
    udp.close();
    throw error;
  }
  return {
    port,
    close: () => {
      udp.close();
      for (const socket of sockets) socket.destroy();
      tcp.close();
    },
  };
}

/** A peer for `DnsServer.handle`, as if the query came over UDP from `address`: nothing is sent to it. */
export function udpPeer(address: string): { udp: UdpSocket; to: RemoteInfo } {
  return { udp: undefined as unknown as UdpSocket, to: { address, port: 5353, family: 'IPv4', size: 0 } };
}
