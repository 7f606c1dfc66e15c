// The address an agent provides its published ports at, when nobody says. With a disco on another
// host, it is this host's address on the route to disco: the one other hosts reach it by. With a disco
// on loopback (one host), it is the Docker bridge gateway, which this host's containers reach.

import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { isLoopback } from '../address.ts';

/**
 * The source address the kernel picks to reach `host`: a connected UDP socket knows it at once, and
 * connecting one sends nothing. Undefined when there is no route.
 */
export async function routeSource(host: string, port: number): Promise<string | undefined> {
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => resolve());
    });
    return socket.address().address;
  } catch {
    return undefined;
  } finally {
    socket.close();
  }
}

export async function defaultAdvertise(
  disco: { host: string; port: number },
  bridgeGateway: () => Promise<string | undefined>,
): Promise<string> {
  if (!isLoopback(disco.host)) {
    const source = await routeSource(disco.host, disco.port);
    if (source) return source;
  }
  return (await bridgeGateway()) ?? '127.0.0.1';
}
