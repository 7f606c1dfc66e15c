// Whether something still listens: a TCP connection to it, and the process's own count of listeners.

import { connect, createServer, type Server } from 'node:net';

/** Resolves true when a TCP connection to the address is accepted, false when it is refused. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The TCP and Unix listeners and UDP sockets this process holds open now. */
export function openListeners(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap' || kind === 'PipeServerWrap' || kind === 'UDPWrap')
    .length;
}

/** A TCP listener on a port of the system's choosing, to take a port away from the code under test. */
export function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}
