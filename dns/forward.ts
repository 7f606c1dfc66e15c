// Names outside every zone go to upstream resolvers, relayed as they are: the upstream sees the
// client's own query (its EDNS size included) and its reply goes back untouched.

import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import type { HostPort } from '../src/address.ts';

export async function forward(message: Buffer, recursors: readonly HostPort[], transport: 'udp' | 'tcp', timeoutMs: number): Promise<Buffer | undefined> {
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
    socket.on('message', (reply, from) => {
      const sameId = reply.length >= 12 && reply.readUInt16BE(0) === message.readUInt16BE(0);
      if (sameId && from.port === recursor.port) done(reply);
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
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) done(received.subarray(2, 2 + received.readUInt16BE(0)));
    });
    socket.on('end', () => done(undefined));
  });
}
