// A disco server and, unless DNS is off, its DNS front end over the same registry: what `scs disco`
// runs, and what `scs up` embeds when a stack names no disco. It reads the files the settings name
// (TLS, tokens), reaches etcd when the registry is there, and fails with one sentence; a DNS that
// cannot listen takes the server down with it.

import { readFileSync } from 'node:fs';
import { type ConsolaInstance, consola } from 'consola';
import { formatHostPort, isLoopbackHost } from '../address.ts';
import { formatCidr } from '../cidr.ts';
import { DNS_DEFAULTS } from '../dns/defaults.ts';
import type { DnsServer } from '../dns/server.ts';
import { dnsName } from '../dns/zones.ts';
import { UserError } from '../errors.ts';
import type { HttpListener } from '../http/listener.ts';
import type { RouteTable } from '../http/routes.ts';
import { warnIfKeyFileOpen } from '../key-files.ts';
import type { DiscoMetrics } from '../metrics/disco-metrics.ts';
import type { Backend } from './backend.ts';
import { MIN_TOKEN_LENGTH } from './config.ts';
import type { DiscoSettings, TokenSource } from './disco-config.ts';
import type { EtcdAccess, EtcdClient } from './etcd-client.ts';
import type { EtcdSettings } from './etcd-settings.ts';
import { defaultServerOptions } from './options.ts';
import { Scope, type TokenGrant, TokenTable } from './scopes.ts';
import type { DiscoServer, ServerTls } from './server.ts';

export interface RunningDisco {
  readonly server: DiscoServer;
  readonly dns: DnsServer | undefined;
  /** HOST:PORT of the protocol listener, and of DNS when it runs. */
  readonly disco: string;
  readonly dnsAddress: string | undefined;
  /** HOST:PORT of the HTTP listener, when it runs; its routes, which the web view and event stream join. */
  readonly httpAddress: string | undefined;
  readonly routes: RouteTable | undefined;
  /** Its metrics, when the HTTP listener runs: `dropped(reason)` is for the registry's drops. */
  readonly metrics: DiscoMetrics | undefined;
  close(): Promise<void>;
}

export interface RunDiscoOptions {
  readonly logger?: ConsolaInstance;
  /** Say where it listens, with what (`scs disco` does; the disco `scs up` embeds leaves that to up). */
  readonly announce?: boolean;
  /** How often an `--insecure` disco says so again; every minute by default. */
  readonly insecureWarningMs?: number;
  /** The scs version the web view shows. */
  readonly version?: string;
}

/** The settings of the disco `scs up` embeds: loopback, ports of the system's choosing, no TLS; its agent adds a token. */
export const EMBEDDED_DISCO: DiscoSettings = {
  listen: { host: '127.0.0.1', port: 0 },
  heartbeatInterval: defaultServerOptions.heartbeatInterval,
  heartbeatTimeout: defaultServerOptions.heartbeatTimeout,
  grace: defaultServerOptions.grace,
  maxConnections: defaultServerOptions.maxConnections,
  maxConnectionsPerSource: defaultServerOptions.maxConnectionsPerSource,
  maxProvisionsPerSession: defaultServerOptions.maxProvisionsPerSession,
  maxProvisionsPerToken: defaultServerOptions.maxProvisionsPerToken,
  maxProvisions: defaultServerOptions.maxProvisions,
  helloTimeout: defaultServerOptions.helloTimeout,
  lineTimeout: defaultServerOptions.lineTimeout,
  dns: {
    listen: { host: '127.0.0.1', port: 0 },
    ttl: DNS_DEFAULTS.ttl,
    negativeTtl: DNS_DEFAULTS.negativeTtl,
    tombstoneMs: DNS_DEFAULTS.tombstoneMs,
    recursors: [],
    zones: DNS_DEFAULTS.zones,
    tcpMaxConnections: DNS_DEFAULTS.tcpMaxConnections,
    tcpMaxConnectionsPerSource: DNS_DEFAULTS.tcpMaxConnectionsPerSource,
    cacheEntries: DNS_DEFAULTS.cacheEntries,
  },
};

export async function runDisco(settings: DiscoSettings, options: RunDiscoOptions = {}): Promise<RunningDisco> {
  const logger = options.logger ?? consola.withTag('disco');
  const tls = settings.tls && readTls(settings.tls);
  const tokens = settings.tokens && readTokens(settings.tokens);
  const etcd = settings.etcd && (await etcdBackend(settings.etcd, settings.heartbeatTimeout + settings.grace, logger));
  const backend = etcd?.backend;
  // Loaded only with the HTTP listener: without it nothing is counted.
  const metrics = settings.http && new (await import('../metrics/disco-metrics.ts')).DiscoMetrics();
  const { DiscoServer } = await import('./server.ts');
  let server: DiscoServer;
  try {
    server = new DiscoServer({
      ...defaultServerOptions,
      host: settings.listen.host,
      port: settings.listen.port,
      heartbeatInterval: settings.heartbeatInterval,
      heartbeatTimeout: settings.heartbeatTimeout,
      grace: settings.grace,
      maxConnections: settings.maxConnections,
      maxConnectionsPerSource: settings.maxConnectionsPerSource,
      maxProvisionsPerSession: settings.maxProvisionsPerSession,
      maxProvisionsPerToken: settings.maxProvisionsPerToken,
      maxProvisions: settings.maxProvisions,
      helloTimeout: settings.helloTimeout,
      lineTimeout: settings.lineTimeout,
      ...(tls ? { tls } : {}),
      ...(tokens ? { tokens } : {}),
      ...(settings.anonymous ? { anonymous: settings.anonymous } : {}),
      ...(backend ? { backend } : {}),
      ...(metrics ? { meter: metrics } : {}),
      logger,
    });
  } catch (error) {
    // Only TLS can fail here: a certificate or key that is not PEM, or a key that is not the certificate's.
    throw new UserError(`cannot use the TLS certificate and key: ${(error as Error).message}`);
  }
  const listen = formatHostPort(server.options.host, server.options.port);
  try {
    await server.listen();
  } catch (error) {
    throw new UserError(`cannot listen on ${listen}: ${(error as Error).message}`);
  }
  const { address, port } = server.address();
  const disco = formatHostPort(address, port);
  let dns: DnsServer | undefined;
  let dnsAddress: string | undefined;
  if (settings.dns !== 'off') {
    // Loaded only when DNS runs: `--dns off` never loads the DNS code.
    const { DnsServer } = await import('../dns/server.ts');
    const { listen: at, ...rest } = settings.dns;
    dns = new DnsServer(server.registry, {
      ...rest,
      host: at.host,
      port: at.port,
      recursors: [...rest.recursors],
      zones: [...rest.zones],
      ...(rest.recursionAllow ? { recursionAllow: rest.recursionAllow } : {}),
      ...(metrics ? { counts: metrics.dnsCounts } : {}),
      logger: consola.withTag('dns'),
    });
    try {
      const { udp } = await dns.listen();
      dnsAddress = formatHostPort(udp.address, udp.port);
    } catch (error) {
      await server.close();
      throw new UserError(`cannot serve DNS on ${formatHostPort(at.host, at.port)}: ${(error as Error).message}`);
    }
  }
  let http: { listener: HttpListener; routes: RouteTable } | undefined;
  let stopping = false;
  if (settings.http && metrics) {
    metrics.attach({ server, dns, etcd: etcd?.client });
    // Every drop, whatever its cause, with the reason the events and the log give it.
    server.registry.addListener((kind, _provision, cause) => {
      if (kind === 'drop') metrics.dropped(cause.reason);
    });
    const { startDiscoHttp } = await import('./disco-http.ts');
    const anonymous = settings.anonymous && Scope.of(settings.anonymous);
    try {
      http = await startDiscoHttp({
        address: settings.http,
        tokens: tokens && { table: new TokenTable(tokens), ...(anonymous ? { anonymous } : {}) },
        metrics,
        dns: { wanted: settings.dns !== 'off', listening: () => dns !== undefined && !stopping },
        etcd: etcd?.client,
        web: { server, version: options.version ?? '' },
        logger: consola.withTag('http'),
      });
    } catch (error) {
      await dns?.close();
      await server.close();
      throw new UserError(`cannot serve HTTP on ${formatHostPort(settings.http.host, settings.http.port)}: ${(error as Error).message}`);
    }
  }
  const httpAddress = http && formatHostPort(http.listener.address().address, http.listener.address().port);
  if (options.announce) {
    const security = [tls && (tls.ca ? 'TLS, client certificates required' : 'TLS'), tokens && `${tokens.length} token(s)`].filter(Boolean);
    const registry = settings.etcd ? `, registry in etcd at ${describeEtcd(settings.etcd)}` : '';
    logger.info(`listening on tcp ${disco}${registry}${security.length ? ` (${security.join(', ')})` : ''}`);
    if (dns && settings.dns !== 'off') {
      const allowed = dns.options.recursionAllow.map(formatCidr).join(', ');
      const { recursors, zones } = settings.dns;
      const forwarding = recursors.length
        ? `, forwarding to ${recursors.map((r) => formatHostPort(r.host, r.port)).join(', ')} for ${allowed}`
        : '';
      logger.info(`dns on udp+tcp ${dnsAddress}, zones ${zones.map((zone) => dnsName(zone.name)).join(', ')}${forwarding}`);
    }
    if (httpAddress) logger.info(`http on ${httpAddress}: the web view, /health, /ready, /metrics`);
  }
  if (httpAddress && !tokens && !isLoopbackHost(settings.http!.host)) {
    logger.warn(`insecure: anyone who reaches http://${httpAddress} may read its metrics (no tokens; --insecure)`);
  }
  const warning = settings.insecure ? warnInsecure(logger, disco, options.insecureWarningMs ?? 60_000) : undefined;
  let closing: Promise<void> | undefined;
  return {
    server,
    dns,
    disco,
    dnsAddress,
    httpAddress,
    routes: http?.routes,
    metrics: metrics || undefined,
    // Once: a second call (a signal during a close) waits for the first.
    close: () =>
      (closing ??= (async () => {
        stopping = true;
        clearInterval(warning);
        await http?.listener.close();
        await dns?.close();
        await server.close();
      })()),
  };
}

/** Says now, and again every `everyMs` while it runs, that anyone may write to this disco. */
function warnInsecure(logger: ConsolaInstance, disco: string, everyMs: number): NodeJS.Timeout {
  const warn = () => logger.warn(`insecure: anyone who reaches ${disco} may provide any name (no tokens; --insecure)`);
  warn();
  // A reminder in the log, not a reason to stay up.
  return setInterval(warn, everyMs).unref();
}

function readTls(files: NonNullable<DiscoSettings['tls']>): ServerTls {
  return {
    cert: readFile('TLS certificate', files.cert),
    key: readKeyFile('TLS key', files.key),
    ...(files.ca ? { ca: readFile('TLS CA', files.ca) } : {}),
  };
}

/** The tokens with their files read; each at least MIN_TOKEN_LENGTH long, none twice. */
export function readTokens(sources: readonly TokenSource[]): TokenGrant[] {
  const seen = new Set<string>();
  return sources.map((source) => {
    const token = source.token ?? readKeyFile('token', source.where).trim();
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new UserError(`the token in ${source.where} is shorter than ${MIN_TOKEN_LENGTH} characters (openssl rand -hex 16 makes one)`);
    }
    if (seen.has(token)) throw new UserError(`the token in ${source.where} is listed twice in disco.yaml's tokens`);
    seen.add(token);
    return { token, provide: source.provide, require: source.require, observe: source.observe ?? [], place: source.place ?? [] };
  });
}

/** The registry in etcd: a session's lease lasts its heartbeat timeout and grace. Loaded only when asked for. */
async function etcdBackend(
  settings: EtcdSettings,
  ttlMs: number,
  logger: ConsolaInstance,
): Promise<{ backend: Backend; client: EtcdClient }> {
  const [{ EtcdClient }, { EtcdBackend }] = await Promise.all([import('./etcd-client.ts'), import('./etcd-backend.ts')]);
  const etcd = new EtcdClient([...settings.endpoints], undefined, readEtcdAccess(settings));
  try {
    await etcd.range('/scs/s/');
  } catch (error) {
    etcd.close();
    throw new UserError(`cannot use etcd: ${(error as Error).message}`);
  }
  return { backend: new EtcdBackend(etcd, { prefix: '/scs/', ttlMs, logger }), client: etcd };
}

function readKeyFile(what: string, path: string): string {
  const text = readFile(what, path);
  warnIfKeyFileOpen(path);
  return text;
}

/** The files that prove this server to etcd, read. */
export function readEtcdAccess(settings: EtcdSettings): EtcdAccess {
  const tls = {
    ...(settings.ca ? { ca: readFile('etcd CA', settings.ca) } : {}),
    ...(settings.cert ? { cert: readFile('etcd client certificate', settings.cert) } : {}),
    ...(settings.key ? { key: readKeyFile('etcd client key', settings.key) } : {}),
  };
  const password =
    settings.passwordFile === undefined ? undefined : readKeyFile('etcd password', settings.passwordFile).replace(/\r?\n$/, '');
  if (password === '') throw new UserError(`the etcd password file ${settings.passwordFile} is empty`);
  return {
    ...(Object.keys(tls).length ? { tls } : {}),
    ...(settings.user !== undefined && password !== undefined ? { user: settings.user, password } : {}),
  };
}

/** Where etcd is, and how this server proves itself to it: for the line `scs disco` starts with. */
function describeEtcd(settings: EtcdSettings): string {
  const how = [settings.cert && 'client certificate', settings.user && `user ${settings.user}`].filter(Boolean);
  return `${settings.endpoints.join(', ')}${how.length ? ` (${how.join(', ')})` : ''}`;
}

function readFile(what: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `the ${what} file ${path} does not exist` : `cannot read the ${what} file ${path}: ${(error as Error).message}`,
    );
  }
}
