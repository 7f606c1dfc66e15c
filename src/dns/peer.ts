// Where a DNS query came from, and so where a reply that comes later goes.

import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';

export type Peer = { readonly udp: UdpSocket; readonly to: RemoteInfo } | { readonly tcp: Socket };

export function sourceOf(peer: Peer): string {
  // Stryker disable next-line StringLiteral: a remote address is missing only once closed, and neither string is one the recursion ACL or a local view holds
  return ('tcp' in peer ? peer.tcp.remoteAddress : peer.to.address) ?? '';
}
