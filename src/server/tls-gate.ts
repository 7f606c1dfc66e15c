// TLS in front of the protocol: the server's listener hands each new socket here, which reads its
// first bytes. A TLS handshake goes on to TLS (and, with a CA, to a check of the client's
// certificate); plain text hears, in a line it can read, that this server speaks only TLS. A plain
// listener uses `onTlsHandshake` to drop TLS clients, which could not read a line of ours.

import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { ConsolaInstance } from 'consola';
import { ErrorCode } from '../protocol/errors.ts';
import { encodeLine } from '../protocol/framing.ts';

/** PEM text of the server's certificate chain and key, and of the CA that client certificates must chain to. */
export interface ServerTls {
  cert: string | Buffer;
  key: string | Buffer;
  /** When given, clients must present a certificate signed by it. */
  ca?: string | Buffer;
}

/** The first byte of every TLS connection: a handshake record. No JSON line starts with it. */
const TLS_HANDSHAKE = 0x16;

export class TlsGate {
  private readonly server: Server;
  /** Every socket taken and not yet closed, the TLS of each included: what `close` must not wait for. */
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly tls: ServerTls,
    private readonly options: { helloTimeout: number; logger: ConsolaInstance },
    /** A socket past the handshake (and the certificate check), for the protocol. */
    admit: (socket: Socket) => void,
  ) {
    this.server = createServer(
      {
        cert: tls.cert,
        key: tls.key,
        // Checked after the handshake, not in it: under TLS 1.3 a client learns of a refused
        // certificate only as a closed connection, where a line can tell it why.
        ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: false } : {}),
        handshakeTimeout: options.helloTimeout,
      },
      (socket) => {
        const refusal = this.tls.ca ? certificateRefusal(socket) : undefined;
        if (refusal === undefined) return void admit(socket);
        options.logger.debug(`refused ${socket.remoteAddress}:${socket.remotePort}: ${refusal}`);
        refuse(socket, ErrorCode.certificateRequired, refusal);
      },
    );
    this.server.on('tlsClientError', (error, socket) =>
      options.logger.debug(`TLS handshake with ${socket.remoteAddress}:${socket.remotePort} failed: ${error.message}`),
    );
  }

  /** Takes a new socket from the listener, which has counted it against the connection limits. */
  take(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const silent = setTimeout(() => socket.destroy(), this.options.helloTimeout);
    silent.unref();
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(silent);
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE) this.server.emit('connection', socket);
      else refuse(socket, ErrorCode.tlsRequired, 'this disco server speaks only TLS; connect with TLS (scs: --tls-ca, or SCS_TLS_CA)');
    });
  }

  /**
   * Ends what is still in a handshake, or refused and not yet gone, after the second that admitted
   * connections get to take their `shutdown` line: the server's close waits for every socket.
   */
  close(): void {
    setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, 1000).unref();
  }
}

/** Calls `then` if the first bytes on a plain socket begin a TLS handshake. */
export function onTlsHandshake(socket: Socket, then: () => void): void {
  socket.once('data', (chunk: Buffer) => {
    if (chunk[0] === TLS_HANDSHAKE) then();
  });
}

/** Tells a peer in one line why it is refused, and closes its connection. */
export function refuse(socket: Socket, code: ErrorCode, message: string): void {
  // Stryker disable next-line StringLiteral: a plain socket has take's listener, and a TLS server's socket sends its errors to tlsClientError itself
  socket.on('error', () => {});
  socket.end(encodeLine({ re: null, ok: false, error: { code, message } }));
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Why a client's certificate is refused, if it is. */
function certificateRefusal(socket: TLSSocket): string | undefined {
  if (socket.authorized) return undefined;
  const presented = Object.keys(socket.getPeerCertificate()).length > 0;
  return presented
    ? `this disco server does not trust the client certificate (${socket.authorizationError})`
    : 'this disco server requires a client certificate';
}
