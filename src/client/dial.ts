// How the client reaches a server by default, and how it words a failure to.

import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

/** Opens a TCP connection; resolves once it is connected. */
export function dialTcp(target: { host: string; port: number }): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect(target);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

export function describeSocketError(error: Error, where: { host: string; port: number }): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused (is `scs disco` running there?)';
  if (code === 'ENOTFOUND') return `unknown host ${where.host}`;
  return error.message;
}
