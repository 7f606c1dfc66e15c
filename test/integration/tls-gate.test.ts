// The TLS gate as any peer meets it, from raw sockets rather than scs's client: the words of its
// refusal to plain text, which tools such as `nc` show as they come; peers that never close their
// side, or reset, where a server that waited for them or missed the error would hang or fall over;
// and the debug lines that tell an operator why a handshake went nowhere.

import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { DiscoServer, DiscoServerOptions } from '../../src/server/server.ts';
import { certificatesForThisFile } from '../helpers/certs.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { recordingLogger } from '../helpers/logging.ts';
import { portOutsideEphemeral } from '../helpers/ports.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

const certs = certificatesForThisFile();

async function tlsServer(options: { clientCa?: boolean } & Partial<DiscoServerOptions> = {}): Promise<DiscoServer> {
  const { clientCa, ...rest } = options;
  const { pem } = certs;
  const disco = await startDisco({ tls: { cert: pem.serverCert, key: pem.serverKey, ...(clientCa ? { ca: pem.ca } : {}) }, ...rest });
  onCleanup(() => disco.close());
  return disco;
}

/** A plain TCP peer that keeps its own side open after the server ends its side. */
async function halfOpenPeer(port: number): Promise<Socket> {
  const socket = connectTcp({ host: '127.0.0.1', port, allowHalfOpen: true });
  onCleanup(() => socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Everything a socket reads until the server ends its side. */
function readToEnd(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.once('end', () => resolve(text));
  });
}

/** Whether the server has let go of the connection: once its socket is gone, a byte sent to it brings a reset. */
async function serverLetGo(socket: Socket): Promise<boolean> {
  const gone = new Promise<boolean>((resolve) => {
    socket.once('error', () => resolve(true));
    socket.once('close', () => resolve(true));
  });
  const poke = setInterval(() => socket.write('x'), 100);
  const outcome = await Promise.race([gone, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000))]);
  clearInterval(poke);
  return outcome;
}

/** A client can still connect over TLS and hear the server's welcome. */
async function stillServes(port: number, withCertificate = false): Promise<boolean> {
  const { pem } = certs;
  const socket = connectTls({
    host: '127.0.0.1',
    port,
    ca: pem.ca,
    ...(withCertificate ? { cert: pem.clientCert, key: pem.clientKey } : {}),
  });
  onCleanup(() => socket.destroy());
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
  return (await hello(socket)).ok === true;
}

/** Says hello over a TLS connection and reads the server's answer. */
async function hello(socket: TLSSocket): Promise<{ re: number; ok: boolean }> {
  socket.write(`${JSON.stringify({ op: 'hello', id: 1, version: 1, client: 'gate-test' })}\n`);
  const line = await new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  return JSON.parse(line);
}

describe('the TLS gate, met by plain text', () => {
  it('answers in one line a plain client can read, saying how to connect', async () => {
    const { port } = (await tlsServer()).address();
    const peer = await halfOpenPeer(port);
    const text = readToEnd(peer);
    peer.write('{"op":"hello","re":0,"name":"plain"}\n');
    expect(JSON.parse(await text)).toEqual({
      re: null,
      ok: false,
      error: { code: 'tls_required', message: 'this disco server speaks only TLS; connect with TLS (scs: --tls-ca, or SCS_TLS_CA)' },
    });
  });

  it('lets go of a refused peer that never closes its side', async () => {
    const { port } = (await tlsServer()).address();
    const peer = await halfOpenPeer(port);
    const text = readToEnd(peer);
    peer.write('{"op":"hello","re":0,"name":"plain"}\n');
    await text;
    expect(await serverLetGo(peer)).toBe(true);
  });

  it('lets go of a peer that says nothing within the hello timeout', async () => {
    const { port } = (await tlsServer({ helloTimeout: 200 })).address();
    const peer = await halfOpenPeer(port);
    const ended = new Promise<boolean>((resolve) => {
      peer.once('end', () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    expect(await ended).toBe(true);
  });

  it('serves on after a peer resets before its first byte', async () => {
    const disco = await tlsServer();
    const { port } = disco.address();
    const peer = await halfOpenPeer(port);
    // Give the server the socket before it goes: the reset must land on a socket the gate holds.
    await new Promise((resolve) => setTimeout(resolve, 50));
    peer.resetAndDestroy();
    await new Promise((resolve) => peer.once('close', resolve));
    expect(await stillServes(port)).toBe(true);
  });
});

describe('the TLS gate, met by a TLS client it refuses', () => {
  it('serves on after a client refused for want of a certificate resets instead of closing', async () => {
    const { pem } = certs;
    const { port } = (await tlsServer({ clientCa: true })).address();
    const raw = await halfOpenPeer(port);
    raw.on('error', () => {});
    const refused = connectTls({ socket: raw, ca: pem.ca, servername: 'localhost' });
    refused.on('error', () => {});
    const line = await new Promise<string>((resolve) => refused.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    expect(JSON.parse(line).error.code).toBe('certificate_required');
    raw.resetAndDestroy();
    expect(await stillServes(port, true)).toBe(true);
  });

  it('logs at debug whom it refused a certificate, and why', async () => {
    const { pem } = certs;
    const recorder = recordingLogger();
    const { port } = (await tlsServer({ clientCa: true, logger: recorder.logger })).address();
    const refused = connectTls({ host: '127.0.0.1', port, ca: pem.ca });
    onCleanup(() => refused.destroy());
    refused.on('error', () => {});
    await new Promise((resolve) => refused.once('data', resolve));
    const from = `127.0.0.1:${refused.localPort}`;
    expect(recorder.lines('debug')).toContain(`refused ${from}: this disco server requires a client certificate`);
  });

  it('logs at debug a handshake that failed, and from whom', async () => {
    const recorder = recordingLogger();
    const { port } = (await tlsServer({ logger: recorder.logger })).address();
    const peer = await halfOpenPeer(port);
    peer.on('error', () => {});
    const from = `127.0.0.1:${peer.localPort}`;
    // A handshake record whose body is no ClientHello.
    peer.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0xff, 0xff, 0xff, 0xff]));
    const logged = await eventually(() => recorder.lines('debug').find((line) => line.startsWith('TLS handshake with')));
    expect(logged).toMatch(new RegExp(`^TLS handshake with ${from.replaceAll('.', '\\.')} failed: .+`));
  });
});

describe('the TLS gate at its connection limit', () => {
  it('holds no more sockets than its caps under 200 raw sockets that never begin a handshake, and serves once they go', async () => {
    const disco = await tlsServer({ maxConnections: 50, maxConnectionsPerSource: 10 });
    const { port } = disco.address();
    // Twenty sources of ten sockets each: the per-source cap alone would let all 200 in.
    const raw = Array.from({ length: 200 }, (_, at) => {
      const socket = connectTcp({ host: '127.0.0.1', port, localAddress: `127.0.0.${2 + (at % 20)}` });
      socket.on('error', () => {});
      onCleanup(() => socket.destroy());
      return socket;
    });
    await Promise.all(raw.map((socket) => new Promise((resolve) => socket.once('connect', resolve).once('close', resolve))));
    // Every refused socket is closed by the server at once; the held ones stay until their hello timeout (10 s).
    const open = await eventually(
      () => raw.filter((socket) => !socket.closed).length <= 50 && raw.filter((socket) => !socket.closed).length,
    );
    expect(open).toBeGreaterThan(0);
    expect(await disco.openSockets()).toBeLessThanOrEqual(50);
    for (const socket of raw) socket.destroy();
    await eventuallyAsync(async () => (await disco.openSockets()) === 0);
    expect(await stillServes(port)).toBe(true);
  });

  it('admits a client from the port of one refused earlier, once there is room', async () => {
    const { pem } = certs;
    const disco = await tlsServer({ maxConnections: 1 });
    const { port } = disco.address();
    const first = connectTls({ host: '127.0.0.1', port, ca: pem.ca });
    onCleanup(() => first.destroy());
    first.on('error', () => {});
    await new Promise((resolve) => first.once('secureConnect', resolve));
    const fromPort = async () => {
      const raw = connectTcp({ host: '127.0.0.1', port, localAddress: '127.0.0.1', localPort: sourcePort });
      raw.on('error', () => {});
      const client = connectTls({ socket: raw, ca: pem.ca, servername: 'localhost' });
      onCleanup(() => client.destroy());
      client.on('error', () => {});
      return client;
    };
    // A free port to connect from twice.
    const sourcePort = portOutsideEphemeral();
    await eventually(() => disco.connectionCount === 1 || undefined);
    const refused = await fromPort();
    let heard = '';
    refused.on('data', (chunk: Buffer) => (heard += chunk.toString()));
    await new Promise((resolve) => refused.once('close', resolve));
    // Closed at once, in its handshake: a reason would cost the server a handshake per refusal.
    expect(heard).toBe('');
    first.destroy();
    await eventually(() => disco.connectionCount === 0 || undefined);
    const admitted = await fromPort();
    await new Promise((resolve) => admitted.once('secureConnect', resolve));
    expect(await hello(admitted)).toMatchObject({ re: 1, ok: true });
  });
});
