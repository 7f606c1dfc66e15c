// `scs disco`'s settings: its flags merged over disco.yaml, disco.yaml over the defaults. Pure:
// paths are resolved (disco.yaml's beside the file) but nothing is read; src/server/run-disco.ts
// reads the files and starts the server. Each mistake is one sentence naming the flag or the key.

import { dirname, resolve } from 'node:path';
import { formatHostPort, type HostPort, isLoopbackHost, parseHostPort } from '../address.ts';
import { type Cidr, parseCidr } from '../cidr.ts';
import { DNS_DEFAULTS } from '../dns/defaults.ts';
import { MAX_PLACE_RULES, type PlaceRule } from '../dns/places.ts';
import type { ZoneConfig } from '../dns/zones.ts';
import { parseDuration } from '../duration.ts';
import { flag, UsageError } from '../errors.ts';
import { httpAddress } from '../http/settings.ts';
import type { DiscoConfig } from './config.ts';
import { type EtcdFlags, type EtcdSettings, etcdSettings } from './etcd-settings.ts';
import { defaultServerOptions } from './options.ts';

/** The flags of `scs disco`, as cac gives them: text, or a number when the text was one. */
export interface DiscoFlags extends EtcdFlags {
  listen?: string;
  http?: string;
  dns?: string;
  dnsTtl?: string | number;
  dnsNegativeTtl?: string | number;
  dnsTombstone?: string | number;
  recursor?: string | string[];
  dnsRecursionAllow?: string | string[];
  dnsPlace?: string | string[];
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  heartbeatInterval?: string | number;
  heartbeatTimeout?: string | number;
  grace?: string | number;
  maxConnections?: string | number;
  maxConnectionsPerSource?: string | number;
  helloTimeout?: string | number;
  lineTimeout?: string | number;
  maxProvisionsPerSession?: string | number;
  maxProvisionsPerToken?: string | number;
  maxProvisions?: string | number;
  dnsMaxConnections?: string | number;
  dnsMaxConnectionsPerSource?: string | number;
  dnsCacheEntries?: string | number;
  /** Listen beyond loopback without tokens: anyone who reaches it may provide any name. */
  insecure?: boolean;
}

/** A token of disco.yaml: the token itself, or the file holding it (resolved beside disco.yaml). */
export interface TokenSource {
  readonly token?: string;
  readonly tokenFile?: string;
  /** Where it is named, for a message: the token file, or `tokens.N`. */
  readonly where: string;
  readonly provide: readonly string[];
  readonly require: readonly string[];
  readonly observe?: readonly string[];
  readonly place?: readonly string[];
}

export interface DnsSettings {
  readonly listen: HostPort;
  /** Seconds, as DNS has them. */
  readonly ttl: number;
  readonly negativeTtl: number;
  readonly tombstoneMs: number;
  readonly recursors: readonly HostPort[];
  /** Who may have other names forwarded; the DNS server's default when absent. */
  readonly recursionAllow?: readonly Cidr[];
  readonly zones: readonly ZoneConfig[];
  /** Where askers are, by source network (src/dns/places.ts); none known when absent. */
  readonly places?: readonly PlaceRule[];
  /** Open TCP connections, in total and from one source address. */
  readonly tcpMaxConnections: number;
  readonly tcpMaxConnectionsPerSource: number;
  /** Encoded replies kept for reuse (src/dns/cache.ts). */
  readonly cacheEntries: number;
}

/** What runDisco starts: every value decided, every path resolved, no file read yet. */
export interface DiscoSettings {
  readonly listen: HostPort;
  /** The HTTP listener (docs/observe.md); off when absent. */
  readonly http?: HostPort;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly grace: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerSource: number;
  readonly maxProvisionsPerSession: number;
  readonly maxProvisionsPerToken: number;
  readonly maxProvisions: number;
  readonly helloTimeout: number;
  readonly lineTimeout: number;
  /** PEM files; plain TCP when absent. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca?: string };
  /** Who may provide and require what; everyone everything when absent. */
  readonly tokens?: readonly TokenSource[];
  /** The registry in etcd (docs/ha.md); in memory when absent. */
  readonly etcd?: EtcdSettings;
  readonly dns: DnsSettings | 'off';
  /** What a hello without a token may do when there are tokens; refused when absent. */
  readonly anonymous?: {
    readonly provide: readonly string[];
    readonly require: readonly string[];
    readonly observe?: readonly string[];
    readonly place?: readonly string[];
  };
  /** Open to every writer beyond loopback (`--insecure`): runDisco warns about it every minute. */
  readonly insecure?: boolean;
}

/** disco.yaml as loaded, and where it was: its paths are relative to it. */
export interface DiscoFile {
  readonly path: string;
  readonly config: DiscoConfig;
}

export function discoConfig(flags: DiscoFlags, file?: DiscoFile): DiscoSettings {
  const config = file?.config ?? {};
  const listen = flags.listen ? address('listen', flags.listen) : (config.listen ?? { host: '127.0.0.1', port: defaultServerOptions.port });
  const heartbeatInterval = duration(
    'heartbeat-interval',
    flags.heartbeatInterval,
    config.heartbeat?.interval ?? defaultServerOptions.heartbeatInterval,
  );
  const heartbeatTimeout = duration(
    'heartbeat-timeout',
    flags.heartbeatTimeout,
    config.heartbeat?.timeout ?? defaultServerOptions.heartbeatTimeout,
  );
  if (heartbeatTimeout <= heartbeatInterval) throw new UsageError('--heartbeat-timeout must be longer than --heartbeat-interval');
  const etcd = etcdSettings(flags, config.etcd, file?.path);
  const tls = tlsFiles(flags, config, file?.path);
  const tokens = config.tokens?.map((entry, at): TokenSource => {
    const tokenFile = entry.tokenFile === undefined ? undefined : beside(entry.tokenFile, file?.path);
    return {
      ...(entry.token === undefined ? {} : { token: entry.token }),
      ...(tokenFile === undefined ? {} : { tokenFile }),
      where: tokenFile ?? `tokens.${at}`,
      provide: entry.provide,
      require: entry.require,
      observe: entry.observe,
      place: entry.place,
    };
  });
  const insecure = !tokens && !isLoopbackHost(listen.host);
  if (insecure && !flags.insecure) {
    throw new UsageError(
      `disco will not listen on ${formatHostPort(listen.host, listen.port)} without tokens, as anyone who reaches it could provide any name (give it tokens, see docs/production.md, or say --insecure)`,
    );
  }
  const http = httpAddress(flags.http, config.http, {
    tokens: tokens !== undefined,
    insecure: flags.insecure === true,
    insecureFlag: '--insecure',
    tokensHint: 'give disco tokens, see docs/observe.md',
  });
  return {
    listen,
    ...(http ? { http } : {}),
    heartbeatInterval,
    heartbeatTimeout,
    grace: duration('grace', flags.grace, config.grace ?? defaultServerOptions.grace),
    maxConnections: count('max-connections', flags.maxConnections, config.limits?.connections ?? defaultServerOptions.maxConnections),
    maxConnectionsPerSource: count(
      'max-connections-per-source',
      flags.maxConnectionsPerSource,
      config.limits?.connectionsPerSource ?? defaultServerOptions.maxConnectionsPerSource,
    ),
    maxProvisionsPerSession: count(
      'max-provisions-per-session',
      flags.maxProvisionsPerSession,
      config.limits?.provisionsPerSession ?? defaultServerOptions.maxProvisionsPerSession,
    ),
    maxProvisionsPerToken: count(
      'max-provisions-per-token',
      flags.maxProvisionsPerToken,
      config.limits?.provisionsPerToken ?? defaultServerOptions.maxProvisionsPerToken,
    ),
    maxProvisions: count('max-provisions', flags.maxProvisions, config.limits?.provisions ?? defaultServerOptions.maxProvisions),
    helloTimeout: duration('hello-timeout', flags.helloTimeout, config.limits?.helloTimeout ?? defaultServerOptions.helloTimeout),
    lineTimeout: duration('line-timeout', flags.lineTimeout, config.limits?.lineTimeout ?? defaultServerOptions.lineTimeout),
    ...(tls ? { tls } : {}),
    ...(tokens ? { tokens } : {}),
    ...(etcd ? { etcd } : {}),
    dns: dnsSettings(flags, config),
    ...(insecure ? { insecure } : {}),
  };
}

function dnsSettings(flags: DiscoFlags, config: DiscoConfig): DnsSettings | 'off' {
  const dns = config.dns ?? {};
  const limits = config.limits ?? {};
  if (flags.dns === 'off' || (flags.dns === undefined && dns.listen === 'off')) return 'off';
  const listen = flags.dns
    ? address('dns', flags.dns)
    : ((dns.listen as HostPort | undefined) ?? { host: DNS_DEFAULTS.host, port: DNS_DEFAULTS.port });
  const recursorFlags = repeated(flags.recursor);
  const allowFlags = repeated(flags.dnsRecursionAllow);
  const recursionAllow = allowFlags.length
    ? allowFlags.map((network) => flag('dns-recursion-allow', () => parseCidr(network)))
    : dns.recursion?.allow;
  const placeFlags = repeated(flags.dnsPlace);
  const places = placeFlags.length ? placeFlags.map((text) => flag('dns-place', () => parsePlaceRule(text))) : dns.places;
  if (places && places.length > MAX_PLACE_RULES) throw new UsageError(`--dns-place: expected at most ${MAX_PLACE_RULES} networks`);
  return {
    listen,
    ttl: Math.round(duration('dns-ttl', flags.dnsTtl, dns.ttl ?? DNS_DEFAULTS.ttl * 1000) / 1000),
    negativeTtl: Math.round(duration('dns-negative-ttl', flags.dnsNegativeTtl, dns.negativeTtl ?? DNS_DEFAULTS.negativeTtl * 1000) / 1000),
    tombstoneMs: duration('dns-tombstone', flags.dnsTombstone, dns.tombstone ?? DNS_DEFAULTS.tombstoneMs),
    recursors: recursorFlags.length ? recursorFlags.map((r) => flag('recursor', () => parseHostPort(r))) : (dns.recursors ?? []),
    ...(recursionAllow ? { recursionAllow } : {}),
    ...(places?.length ? { places } : {}),
    zones: dns.zones ?? DNS_DEFAULTS.zones,
    tcpMaxConnections: count('dns-max-connections', flags.dnsMaxConnections, limits.dnsConnections ?? DNS_DEFAULTS.tcpMaxConnections),
    tcpMaxConnectionsPerSource: count(
      'dns-max-connections-per-source',
      flags.dnsMaxConnectionsPerSource,
      limits.dnsConnectionsPerSource ?? DNS_DEFAULTS.tcpMaxConnectionsPerSource,
    ),
    cacheEntries: count('dns-cache-entries', flags.dnsCacheEntries, limits.dnsCacheEntries ?? DNS_DEFAULTS.cacheEntries),
  };
}

/** `10.1.0.0/16,zone=us-east-1a,dc=east`: a network, then its zone, its dc, or both. */
export function parsePlaceRule(text: string): PlaceRule {
  const [network = '', ...parts] = text.split(',');
  const rule: { network: Cidr; zone?: string; dc?: string } = { network: parseCidr(network.trim()) };
  for (const part of parts) {
    const match = /^\s*(zone|dc)=(.+?)\s*$/.exec(part);
    if (!match) throw new Error(`"${part}" is not zone=NAME or dc=NAME (as in 10.1.0.0/16,zone=us-east-1a,dc=east)`);
    rule[match[1] as 'zone' | 'dc'] = match[2]!;
  }
  if (rule.zone === undefined && rule.dc === undefined)
    throw new Error(`"${text}" names no zone and no dc (as in 10.1.0.0/16,zone=us-east-1a,dc=east)`);
  return rule;
}

/** The server's TLS files, from the flags or else disco.yaml; undefined for plain TCP. */
function tlsFiles(flags: DiscoFlags, config: DiscoConfig, path: string | undefined): DiscoSettings['tls'] {
  const fromConfig = (file: string | undefined) => (file === undefined ? undefined : beside(file, path));
  const cert = flags.tlsCert ?? fromConfig(config.tls?.cert);
  const key = flags.tlsKey ?? fromConfig(config.tls?.key);
  const ca = flags.tlsCa ?? fromConfig(config.tls?.ca);
  if (cert === undefined && key === undefined) {
    if (ca !== undefined) throw new UsageError('--tls-ca needs --tls-cert and --tls-key: client certificates are checked only over TLS');
    return undefined;
  }
  if (cert === undefined || key === undefined) throw new UsageError('--tls-cert and --tls-key go together: give both, or neither');
  return { cert, key, ...(ca ? { ca } : {}) };
}

function beside(path: string, configFile: string | undefined): string {
  return configFile ? resolve(dirname(configFile), path) : path;
}

function address(name: string, text: string): HostPort {
  return flag(name, () => parseHostPort(String(text), { anyPort: true }));
}

/** A duration flag; cac hands a bare number such as `--dns-tombstone 0` over as a number: 0 is a value, not "unset". */
function duration(name: string, text: string | number | undefined, fallback: number): number {
  return text === undefined || text === '' ? fallback : flag(name, () => parseDuration(String(text)));
}

/** A whole-number flag of 1 or more. */
function count(name: string, text: string | number | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`--${name}: expected a whole number of 1 or more, not "${text}"`);
  return value;
}

/** A flag given any number of times: cac gives nothing for none, a string for one, an array for several. */
function repeated(value: unknown): string[] {
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}
