// The client's public types; client.ts re-exports them.

import type { Duplex } from 'node:stream';
import type { ConsolaInstance } from 'consola';
import type { ErrorCode } from '../protocol/errors.ts';
import type { Protocol } from '../registry/types.ts';
import type { ClientTls } from './dial.ts';
import type { SessionRecord } from './inherited.ts';
import type { Endpoint } from './view.ts';

export type { Endpoint } from './view.ts';

export interface DiscoClientOptions {
  host: string;
  port: number;
  /**
   * Servers sharing one registry (docs/ha.md), tried in order: the client moves to the next when
   * its connection is lost. When given, `host` and `port` are only its first.
   */
  addresses?: ReadonlyArray<{ host: string; port: number }>;
  /** Shown in the server's logs. */
  name?: string;
  /** Connect with TLS, verifying the server's certificate against `ca` (the system's CAs when unset). */
  tls?: ClientTls;
  /** Sent in `hello`: what the server's config lets this token do (docs/protocol.md, "Tokens"). */
  token?: string;
  /**
   * The session a predecessor of this process held (what `onRecord` told it): the first hello resumes
   * it (with the same token, within the server's grace), and provides and requires of the same specs
   * take over what it held, unseen by anyone watching. `releaseUnclaimed` lets go of the rest.
   */
  resume?: SessionRecord;
  /** Told what the session holds whenever that changes, for a successor to `resume` it. */
  onRecord?: (record: SessionRecord) => void;
  /** Keep trying when the first connection fails, instead of rejecting `connect`. */
  waitForServer?: boolean;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** A request the server has not answered this long after it was sent is rejected (default 30 s). */
  requestTimeoutMs?: number;
  /**
   * How often a client that had to move away from its first server asks that one to take its session
   * back (default 5 s; 0 never). It moves back only once welcomed there, with the same session.
   */
  homeCheckMs?: number;
  logger?: ConsolaInstance;
  /**
   * Opens the stream to the server, resolving once it is connected. Defaults to TCP to
   * `host:port`; tests hand in a socket pair or an in-memory duplex.
   */
  dial?: (target: { host: string; port: number }) => Promise<Duplex>;
}

export interface ProvideSpec {
  name: string;
  host: string;
  port: number;
  protocol?: Protocol;
  attrs?: Record<string, string>;
}

export interface RequireSpec {
  /** A name, or a pattern whose `*` labels match any label (`*.*.hello.dev`): docs/protocol.md#patterns. */
  name: string;
  attrs?: Record<string, string>;
}

export interface WatchEvent {
  add: Endpoint[];
  drop: Endpoint[];
  /** Every endpoint after the change, in stable order. */
  endpoints: Endpoint[];
}

export interface ProvisionHandle {
  readonly key: string;
  readonly spec: Readonly<ProvideSpec>;
  /** The server's id for it, once registered. */
  readonly id: string | undefined;
  drop(): Promise<void>;
}

export interface Watch {
  readonly key: string;
  readonly spec: Readonly<RequireSpec>;
  readonly endpoints: Endpoint[];
  close(): Promise<void>;
}

/** Codes of the errors the client raises itself; the server's are the protocol's `ErrorCode`. */
export const ClientErrorCode = {
  closed: 'closed',
  unreachable: 'unreachable',
  timeout: 'timeout',
  badReply: 'bad_reply',
  /** TLS failed: a certificate was refused, or one side speaks TLS and the other does not. */
  tls: 'tls',
} as const;

export type DiscoErrorCode = ErrorCode | (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class DiscoError extends Error {
  override readonly name = 'DiscoError';
  constructor(
    /** A `DiscoErrorCode`, or a code from a newer server that this client does not know. */
    readonly code: DiscoErrorCode | (string & {}),
    message: string,
  ) {
    super(message);
  }
}
