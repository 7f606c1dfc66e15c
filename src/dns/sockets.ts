// A DNS server's two sockets: UDP, and TCP on the same port, as resolvers expect; or the two a
// supervisor bound already and passed (src/agent/passed-sockets.ts), served as they are.

import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Socket, type Server as TcpServer } from 'node:net';
import { UDP_RECEIVE_BUFFER } from './constants.ts';
import { literalLookup } from './udp-lookup.ts';

/** A UDP socket and a listening TCP socket, as open file descriptors. */
export interface PassedDnsSockets {
  readonly udp: number;
  readonly tcp: number;
}

export interface DnsSocketHandlers {
  message(message: Buffer, from: RemoteInfo, udp: UdpSocket): void;
  connection(socket: Socket): void;
  /** An error of the UDP socket once it is bound. */
  warn(text: string): void;
}

/** Opens (or takes) both sockets; when either fails, neither stays open. */
export async function openDnsSockets(
  at: { readonly host: string; readonly port: number; readonly passed?: PassedDnsSockets | undefined },
  handlers: DnsSocketHandlers,
): Promise<{ udp: UdpSocket; tcp: TcpServer }> {
  const { host, port, passed } = at;
  const udp = createSocket({
    type: isIPv6(host) ? 'udp6' : 'udp4',
    // A passed socket keeps the buffer its supervisor gave it.
    ...(passed ? {} : { recvBufferSize: UDP_RECEIVE_BUFFER }),
    lookup: literalLookup,
  });
  udp.on('message', (message, from) => handlers.message(message, from, udp));
  udp.on('error', (error) => handlers.warn(`udp: ${error.message}`));
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      const bound = () => {
        // Stryker disable next-line StringLiteral: once bound the promise is settled, and the socket's own error listener still logs a later error
        udp.off('error', reject);
        resolve();
      };
      if (passed) udp.bind({ fd: passed.udp }, bound);
      else udp.bind(port, host, bound);
    });
    const tcp = createServer(handlers.connection);
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      const listening = () => {
        // Stryker disable next-line StringLiteral: once bound the promise is settled, and the socket's own error listener still logs a later error
        tcp.off('error', reject);
        resolve();
      };
      if (passed) tcp.listen({ fd: passed.tcp }, listening);
      else tcp.listen(udp.address().port, host, listening);
    });
    return { udp, tcp };
  } catch (error) {
    udp.close();
    throw error;
  }
}
