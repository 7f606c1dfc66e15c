// Sessions when the registry is in etcd (docs/ha.md): what the server does with a session beyond
// its own memory. A session the server does not hold is adopted from etcd while its lease lives.

import { randomBytes } from 'node:crypto';
import type { ConsolaInstance } from 'consola';
import { ErrorCode } from '../protocol/errors.ts';
import type { ProvideInput } from '../registry/registry.ts';
import type { Change } from '../registry/types.ts';
import type { Connection } from './connection.ts';
import type { EtcdRegistry } from './etcd-registry.ts';
import type { FanOut } from './fanout.ts';
import { Session } from './session.ts';

/**
 * The session `requested` taken over from etcd, with the provisions it holds there and their keys
 * (so that the client's provides with the same keys find them); or a new session with its lease.
 */
export async function openSharedSession(
  shared: EtcdRegistry,
  requested: string | undefined,
  client: string,
): Promise<{ session: Session; adopted: boolean }> {
  const adopted = requested === undefined ? undefined : await shared.adopt(requested);
  if (!adopted) {
    const session = new Session(randomBytes(16).toString('base64url'), client);
    await shared.open(session.id, client);
    return { session, adopted: false };
  }
  const session = new Session(requested!, client);
  for (const { id, key } of adopted) {
    session.provisions.add(id);
    if (key !== undefined) session.provisionKeys.set(key, id);
  }
  return { session, adopted: true };
}

/** A reply that waits on etcd, and the changes to fan out once it is sent. */
export type LaterReply = Promise<{ reply: Record<string, unknown>; changes: Change[] }>;

/** Sends a reply that had to wait on etcd, then fans out what it changed; a failure to reach etcd is `unavailable`. */
export function replyLater(connection: Connection, id: number | null, later: LaterReply, fanOut: FanOut, logger: ConsolaInstance): void {
  later.then(
    ({ reply, changes }) => {
      if (id !== null) connection.send({ re: id, ok: true, ...reply });
      fanOut.publish(changes);
    },
    // Only etcd fails these: what waits on it throws no protocol error of its own.
    (thrown: Error) => {
      logger.warn(thrown.message);
      connection.send({ re: id, ok: false, error: { code: ErrorCode.unavailable, message: thrown.message } });
    },
  );
}

export async function provideShared(shared: EtcdRegistry, session: Session, input: ProvideInput, key: string | undefined): LaterReply {
  const { id, changes } = await shared.provide({ ...input, key });
  session.provisions.add(id);
  if (key !== undefined) session.provisionKeys.set(key, id);
  return { reply: { provision: id }, changes };
}

/** The session has already let the provision go; if etcd cannot take the delete, it is the session's again. */
export async function unprovideShared(shared: EtcdRegistry, session: Session, id: string, key: string | undefined): LaterReply {
  try {
    return { reply: {}, changes: await shared.drop(id) };
  } catch (error) {
    // Still in etcd: still this session's, so that the client may try again.
    session.provisions.add(id);
    if (key !== undefined) session.provisionKeys.set(key, id);
    throw error;
  }
}

/** Its keys go with its lease, and every server (this one too) hears of it from etcd. */
export function endSharedSession(shared: EtcdRegistry, session: Session, logger: ConsolaInstance): void {
  shared.end(session.id).catch((error: Error) => logger.warn(`could not end session ${session.id} in etcd: ${error.message}`));
}
