// HOST:PORT as users write it: `10.0.0.5:3306`, `db.local:3306`, `[::1]:3306`.

import { isIPv6 } from 'node:net';

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

export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Only this host can reach it: 127.0.0.0/8, ::1, localhost. */
export const isLoopback = (host: string) => /^127\./.test(host) || host === '::1' || host === 'localhost';
