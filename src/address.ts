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

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** Whether traffic to `host` stays on this machine: 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost')) return true;
  if (isIPv4(host)) return loopback.check(host, 'ipv4');
  return isIPv6(host) && loopback.check(host, 'ipv6');
}
