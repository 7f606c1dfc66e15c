// How the client reaches a server by default (TCP, or TLS when given a CA or a certificate), and
// how it words a failure to.

import { connect, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import { ErrorCode } from '../protocol/errors.ts';

/** PEM text: the CA that signed the server's certificate, and this client's certificate and key if the server asks for one. */
export interface ClientTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** Opens a TCP connection; resolves once it is connected. */
export function dialTcp(target: { host: string; port: number }): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect(target);
    socket.once('error', reject);
    socket.once('connect', () => {
      // Stryker disable next-line StringLiteral: once connected the promise is settled, and the stream's owner listens for errors itself
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** A TLS handshake that failed for want of TLS on the other side, not for a certificate. */
class NoTlsError extends Error {}

/** Opens a TLS connection that verifies the server's certificate; resolves once the handshake is done. */
export function dialTls(target: { host: string; port: number }, tls: ClientTls): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let connected = false;
    const socket = connectTls({
      host: target.host,
      port: target.port,
      ...tls,
      // An IP address is checked against the certificate's IP SANs; SNI carries only host names.
      ...(isIP(target.host) ? {} : { servername: target.host }),
    });
    const failed = (error: NodeJS.ErrnoException) => {
      // Reached, then cut off before any certificate was judged: the server speaks no TLS.
      reject(connected && certificateProblem(error) === undefined ? new NoTlsError(error.message) : error);
    };
    socket.once('connect', () => (connected = true));
    socket.once('error', failed);
    socket.once('secureConnect', () => {
      // Stryker disable next-line StringLiteral: once connected the promise is settled, and the stream's owner listens for errors itself
      socket.off('error', failed);
      resolve(socket);
    });
  });
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Why a TLS connection failed over certificates, if it did: a sentence for the user. */
function certificateProblem(error: NodeJS.ErrnoException): string | undefined {
  // Stryker disable next-line StringLiteral: no certificate error is named that
  const code = error.code ?? '';
  if (UNTRUSTED.has(code)) return `its certificate is not trusted (${error.message}); check --tls-ca`;
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') {
    return 'it requires a client certificate; give --tls-cert and --tls-key (or SCS_TLS_CERT and SCS_TLS_KEY)';
  }
  if (/^ERR_SSL_(TLSV1|SSLV3)_ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|DECRYPT_ERROR)$/.test(code)) {
    return `it refused our client certificate (${error.message})`;
  }
  return undefined;
}

/** Why TLS failed, if it did: what no retry will mend, so a first connection gives up on it. */
export function tlsProblem(error: Error | undefined): string | undefined {
  if (!error) return undefined;
  if (error instanceof NoTlsError) return 'it did not answer a TLS handshake (is it running without --tls-cert? then leave out --tls-ca)';
  return certificateProblem(error as NodeJS.ErrnoException);
}

export function describeSocketError(error: Error, where: { host: string; port: number }): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused (is `scs disco` running there?)';
  if (code === 'ENOTFOUND') return `unknown host ${where.host}`;
  return tlsProblem(error) ?? error.message;
}

/** The sentence for a server's refusal of our TLS settings, if that is what `error` is. */
export function refusedTls(error: { code: string; message: string } | undefined, where: string): string | undefined {
  if (error?.code === ErrorCode.tlsRequired) {
    return `disco at ${where} speaks only TLS; give --tls-ca (or SCS_TLS_CA) with the CA that signed its certificate`;
  }
  if (error?.code === ErrorCode.certificateRequired) {
    const advice = 'give --tls-cert and --tls-key (or SCS_TLS_CERT and SCS_TLS_KEY) with a certificate its CA signed';
    // Stryker disable next-line Regex: the server's message starts with those words or lacks them
    return `disco at ${where} refused the connection: ${error.message.replace(/^this disco server /, 'it ')}; ${advice}`;
  }
  return undefined;
}
