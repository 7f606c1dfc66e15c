// HOST:PORT as users write it: `10.0.0.5:3306`, `db.local:3306`, `[::1]:3306`.

import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `anyPort` accepts port 0, which a listener reads as "any free port". */
export function parseHostPort(text: string, { anyPort = false } = {}): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < (anyPort ? 0 : 1) || port > 65535) {
    throw new Error(`"${text}" is not an address like 127.0.0.1:9640 or [::1]:9640`);
  }
  return { host: (match[1] ?? match[2])!, port };
}

/** Only an IPv6 address has a colon in it: looking for one spares the first call's compiling of Node's IPv6 pattern (ms). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** ::1 and IPv4-mapped loopback: built at the first IPv6 address asked about, as most ask about IPv4 only (`scs ps`). */
let ipv6Loopback: BlockList | undefined;

/** Whether traffic to `host` stays on this machine: 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost')) return true;
  // Node's isIPv4 takes dotted decimal without leading zeros only: 127.0.0.0/8 is what starts with "127.".
  if (isIPv4(host)) return host.startsWith('127.');
  // No colon, no IPv6 address (see formatHostPort).
  if (!host.includes(':') || !isIPv6(host)) return false;
  if (ipv6Loopback === undefined) {
    ipv6Loopback = new BlockList();
    ipv6Loopback.addAddress('::1', 'ipv6');
    ipv6Loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
  }
  return ipv6Loopback.check(host, 'ipv6');
}
