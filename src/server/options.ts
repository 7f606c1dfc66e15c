// The disco server's settings, and their defaults.

import { type ConsolaInstance, consola } from 'consola';
import { MAX_LINE_BYTES } from '../protocol/framing.ts';
import type { Backend } from './backend.ts';
import type { ServerMeter } from './meter.ts';
import type { TokenGrant } from './scopes.ts';
import type { ServerTls } from './tls-gate.ts';

export interface DiscoServerOptions {
  host: string;
  port: number;
  /** Milliseconds between heartbeats each side sends when otherwise idle. */
  heartbeatInterval: number;
  /** Milliseconds of silence after which the peer is taken for dead. */
  heartbeatTimeout: number;
  /** Milliseconds a session outlives its connection, waiting to be resumed. */
  grace: number;
  /**
   * Unsent bytes past which a connection is backlogged: its pushes collapse into resyncs and its
   * requests wait. Also the bytes of unacknowledged pushes a session may owe before they collapse.
   */
  maxQueueBytes: number;
  /** Unacknowledged `changed` pushes a session may owe before they collapse into resyncs. */
  maxUnacked: number;
  errorBurst: number;
  errorRefillPerSecond: number;
  maxLineBytes: number;
  /** Milliseconds a new connection has to say `hello`. */
  helloTimeout: number;
  /** Milliseconds a line may take from its first byte to its newline. */
  lineTimeout: number;
  /** Open connections, in total and from one source address; more are refused. */
  maxConnections: number;
  maxConnectionsPerSource: number;
  /** Provisions held by one session, by the sessions of one token, and by the whole server; a provide past one is refused. */
  maxProvisionsPerSession: number;
  maxProvisionsPerToken: number;
  maxProvisions: number;
  /** Members (agents' records) the server keeps at once, and their bytes together; a `member` past either is refused. */
  maxMembers: number;
  maxMemberBytes: number;
  /** TLS on the listener; plain TCP when unset. */
  tls?: ServerTls;
  /** The tokens a hello may carry and what each allows; when unset, no token is needed and all is allowed. */
  tokens?: readonly TokenGrant[];
  /**
   * What a hello without a token may do when the server has tokens; refused when unset. The disco
   * `scs up` embeds lets anyone read (as its DNS does) and only its agent provide.
   */
  anonymous?: Pick<TokenGrant, 'provide' | 'require'> & Partial<Pick<TokenGrant, 'observe' | 'place'>>;
  logger: ConsolaInstance;
  /** Where the sessions' provisions are kept: etcd, shared with other servers (docs/ha.md); in memory when absent. */
  backend?: Backend;
  /** Told what the server does, for its metrics (src/metrics/); nothing is counted when absent. */
  meter?: ServerMeter;
}

export const defaultServerOptions: DiscoServerOptions = {
  host: '127.0.0.1',
  port: 9640,
  heartbeatInterval: 5000,
  heartbeatTimeout: 15000,
  grace: 10000,
  maxQueueBytes: 8 * 1024 * 1024,
  maxUnacked: 10000,
  errorBurst: 100,
  errorRefillPerSecond: 10,
  maxLineBytes: MAX_LINE_BYTES,
  helloTimeout: 10000,
  lineTimeout: 10000,
  maxConnections: 20000,
  maxConnectionsPerSource: 1000,
  maxProvisionsPerSession: 10_000,
  maxProvisionsPerToken: 100_000,
  maxProvisions: 1_000_000,
  maxMembers: 10_000,
  maxMemberBytes: 64 * 1024 * 1024,
  logger: consola.withTag('disco'),
};
