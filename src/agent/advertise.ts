// The address an agent provides its published ports at, when nobody says. With a disco on another
// host, it is this host's address on the route to disco: the one other hosts reach it by. With a disco
// on loopback (one host), it is the Docker bridge gateway, which this host's containers reach.

import { createSocket } from 'node:dgram';
import { createServer, isIPv6 } from 'node:net';
import { isLoopbackHost } from '../address.ts';

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
  if (!isLoopbackHost(disco.host)) {
    const source = await routeSource(disco.host, disco.port);
    if (source) return source;
  }
  return (await bridgeGateway()) ?? '127.0.0.1';
}

/**
 * Whether this host can listen on `address`: Docker's proxy will bind it. Asked by binding a free port
 * for a moment, as an interface's list leaves out one that is down (docker0 before its first container).
 */
export async function isHostAddress(address: string): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, address, () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

/**
 * The host addresses published ports listen on: loopback (so `localhost:8080` works) and the advertised
 * address, where other containers and hosts are told to reach them. An advertised address that is not
 * this host's (one behind NAT) cannot be listened on: then every interface, and `reason` says why.
 */
export function publishAddresses(advertise: string, hostHasIt: boolean): { on: string[]; reason?: string } {
  if (isLoopbackHost(advertise)) return { on: ['127.0.0.1'] };
  if (hostHasIt) return { on: ['127.0.0.1', advertise] };
  return { on: ['0.0.0.0'], reason: `${advertise} is not an address of this host: published ports listen on every interface` };
}
