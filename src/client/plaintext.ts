// A token sent without TLS can be read by anyone on the path. On loopback that path is this machine,
// whose root is trusted anyway (docs/production.md); anywhere else, the user should hear about it.

import { formatHostPort, isLoopbackHost } from '../address.ts';
import type { DiscoClientOptions } from './types.ts';

/** The warning for a token about to leave this machine in plaintext, or undefined when it does not. */
export function tokenInPlaintext(options: Pick<DiscoClientOptions, 'host' | 'port' | 'addresses' | 'token' | 'tls'>): string | undefined {
  if (options.token === undefined || options.tls !== undefined) return undefined;
  const addresses = options.addresses?.length ? options.addresses : [{ host: options.host, port: options.port }];
  const remote = addresses.filter((address) => !isLoopbackHost(address.host));
  if (remote.length === 0) return undefined;
  const where = remote.map((address) => formatHostPort(address.host, address.port)).join(', ');
  return `the token goes to disco at ${where} without TLS, readable on the way: give --tls-ca (or SCS_TLS_CA) to encrypt it`;
}
