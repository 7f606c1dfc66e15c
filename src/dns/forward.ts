// Names outside every zone go to upstream resolvers, relayed as they are: the upstream sees the
// client's own query (its EDNS size included) and its reply goes back untouched.

import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import type { HostPort } from '../address.ts';

export async function forward(
  message: Buffer,
  recursors: readonly HostPort[],
  transport: 'udp' | 'tcp',
  timeoutMs: number,
): Promise<Buffer | undefined> {
  for (const recursor of recursors) {
    const reply = await (transport === 'udp' ? viaUdp : viaTcp)(message, recursor, timeoutMs).catch(() => undefined);
    if (reply) return reply;
  }
  return undefined;
}

function viaUdp(message: Buffer, recursor: HostPort, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    // A fresh socket per query: a random source port, and only this upstream's reply is read.
    const socket = createSocket(isIPv6(recursor.host) ? 'udp6' : 'udp4');
    const done = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', () => done(undefined));
    // The socket is connected, so only the recursor's datagrams arrive; a wrong id is a stray or a spoof.
    socket.on('message', (reply) => {
      if (answers(message, reply)) done(reply);
    });
    socket.connect(recursor.port, recursor.host, () => socket.send(message));
  });
}

function viaTcp(message: Buffer, recursor: HostPort, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: recursor.host, port: recursor.port });
    let received = Buffer.alloc(0);
    const done = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', () => done(undefined));
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // A reply that answers another query is no answer to this one: skip it, keep reading.
      // Stryker disable next-line EqualityOperator: differs only when exactly two bytes announce an empty frame, which gets no reply either way
      while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        const reply = received.subarray(2, 2 + received.readUInt16BE(0));
        received = received.subarray(2 + reply.length);
        if (answers(message, reply)) return done(reply);
      }
    });
    socket.on('end', () => done(undefined));
  });
}

/** A reply answers a query when it is a response with the query's id. */
function answers(query: Buffer, reply: Buffer): boolean {
  return reply.length >= 12 && (reply[2]! & 0x80) !== 0 && reply.readUInt16BE(0) === query.readUInt16BE(0);
}
