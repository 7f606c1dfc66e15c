// The server's periodic look at each connection: heartbeats, a hello that never came, a line
// that never ended, and a backlogged reader that stopped reading.

import type { ConsolaInstance } from 'consola';
import { ErrorCode } from '../protocol/errors.ts';
import { checkLiveness } from '../transport/liveness.ts';
import type { Connection } from './connection.ts';

export interface SweepTimes {
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly helloTimeout: number;
  readonly lineTimeout: number;
}

/** A connection as the sweep sees it: whether it has said hello is all that matters. */
export interface SweptPeer {
  readonly connection: Connection;
  readonly session: unknown;
  /** A `hello` waits on the backend. */
  greeting?: boolean;
}

/** Fine enough that every documented time holds within 5% (10 ms at the least, for tests). */
export function sweepPeriod({ heartbeatInterval, heartbeatTimeout, helloTimeout, lineTimeout }: SweepTimes): number {
  // Stryker disable next-line MethodExpression: the sweep runs more often: every time still holds, at more cost
  return Math.max(10, Math.min(heartbeatInterval, heartbeatTimeout, helloTimeout, lineTimeout) / 20);
}

/** Every connection, swept once. */
export function sweepPeers(peers: Iterable<SweptPeer>, options: SweepTimes & { readonly logger: ConsolaInstance }): void {
  const now = Date.now();
  // A hello waiting on the backend has been said: the backend's own timeout answers it (`unavailable`), not the hello timeout.
  for (const peer of peers)
    sweepConnection(peer.connection, peer.session !== undefined || peer.greeting === true, now, options, options.logger);
}

/** Closes, fails or pings one connection as its times require; `greeted` once it has said hello (a session, or one on its way). */
export function sweepConnection(connection: Connection, greeted: boolean, now: number, times: SweepTimes, logger: ConsolaInstance): void {
  const { heartbeatInterval, heartbeatTimeout, helloTimeout, lineTimeout } = times;
  // Stryker disable next-line ConditionalExpression: what the sweep does to a closed connection is a no-op: send, fail and close return when it is not open
  if (!connection.isOpen) return;
  const stalled = connection.stalledFor(now);
  if (connection.backlogged) {
    // Its requests wait unread, so its silence is ours; what counts is whether it reads.
    // Stryker disable next-line EqualityOperator: one millisecond at a limit checked every twentieth of the shortest timer: no test, nor client, can tell
    if (stalled > heartbeatTimeout) {
      logger.warn(`closing ${connection.remote}: it read nothing for ${stalled} ms`);
      connection.fail(ErrorCode.overloaded, `the client read nothing for ${heartbeatTimeout} ms while the server had lines for it`);
    }
    return;
  }
  // The same rule as the client's, from the same times: dead after `timeout` of silence, a ping after `interval` of ours.
  const liveness = checkLiveness(now, connection.lastHeard, connection.lastSent, {
    interval: heartbeatInterval,
    timeout: heartbeatTimeout,
  });
  if (liveness.dead) {
    logger.debug(`${connection.remote} missed its heartbeats`);
    connection.cutBecause = 'heartbeat-timeout';
    connection.destroy();
  } else if (!greeted && now - connection.openedAt > helloTimeout) {
    connection.fail(ErrorCode.helloTimeout, `no "hello" within ${helloTimeout} ms of connecting`);
  } else if (connection.partialLineAge(now) > lineTimeout) {
    connection.fail(ErrorCode.lineTimeout, `a line took more than ${lineTimeout} ms to arrive`);
  } else if (liveness.ping) {
    connection.send({ op: 'ping' });
  }
}
