// Sessions when the registry is in etcd (docs/ha.md): what the server does with a session beyond
// its own memory. A session the server does not hold is adopted from etcd while its lease lives.

import { randomBytes } from 'node:crypto';
import type { ConsolaInstance } from 'consola';
import type { ProvideInput } from '../registry/registry.ts';
import type { Change } from '../registry/types.ts';
import type { EtcdRegistry } from './etcd-registry.ts';
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

export async function provideShared(
  shared: EtcdRegistry,
  session: Session,
  input: ProvideInput,
  key: string | undefined,
): Promise<{ id: string; changes: Change[] }> {
  const provided = await shared.provide({ ...input, key });
  session.provisions.add(provided.id);
  if (key !== undefined) session.provisionKeys.set(key, provided.id);
  return provided;
}

/** Its keys go with its lease, and every server (this one too) hears of it from etcd. */
export function endSharedSession(shared: EtcdRegistry, session: Session, logger: ConsolaInstance): void {
  shared.end(session.id).catch((error: Error) => logger.warn(`could not end session ${session.id} in etcd: ${error.message}`));
}
