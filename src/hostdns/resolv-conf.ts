// Where the host's DNS sends names outside scs's zones: the host's own resolvers, as its resolv.conf
// lists them. The agent forwards from the host, so a loopback stub is reachable; still, like Docker, it
// prefers the resolvers behind systemd-resolved's stub when their file exists, so containers see the
// same upstreams as under Docker, and a stub that filters or rewrites does not sit in between.

import { isIP } from 'node:net';
import { type HostPort, isLoopbackHost } from '../address.ts';

/** The `nameserver` lines of a resolv.conf, in order; IPv6 zone suffixes kept as written. */
export function nameservers(text: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    const [keyword, address] = line.trim().split(/\s+/);
    if (keyword === 'nameserver' && address && isIP(address.replace(/%.*$/, ''))) found.push(address);
  }
  return found;
}

/**
 * The upstreams, from /etc/resolv.conf and systemd-resolved's upstream file: Docker's rule, except that
 * with nothing else known a loopback stub is kept (reachable from the host), never a public resolver.
 */
export function hostUpstreams(etcResolvConf: string, systemdResolvConf: string | undefined): HostPort[] {
  const listed = nameservers(etcResolvConf);
  const outside = listed.filter((address) => !isLoopbackHost(address));
  const behindStub = systemdResolvConf === undefined ? [] : nameservers(systemdResolvConf).filter((address) => !isLoopbackHost(address));
  const chosen = outside.length > 0 ? outside : behindStub.length > 0 ? behindStub : listed;
  return chosen.map((host) => ({ host, port: 53 }));
}
