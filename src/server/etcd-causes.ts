// Why a provision went, as a server following etcd tells it. etcd's watch says only that a key was
// deleted; a lease that ends deletes its session key and every provision under it in one revision,
// so a provision whose session key goes in the same batch went with its session, and any other was
// withdrawn on its own (unprovide). The server that ends a session knows why (goodbye, a lost
// socket) and says so before it revokes; a server that did not end it cannot tell a revoke from
// an expiry, and says only that the lease ended (docs/observe.md).

import type { Cause } from '../registry/types.ts';

export interface KnownSession {
  readonly server: string;
  readonly client: string;
}

export class DropCauses {
  /** Sessions this server is ending, and why: their lease's deletes come back through the watch. */
  private readonly ending = new Map<string, Cause>();

  constructor(private readonly serverId: string) {}

  /** This server ends `session` for `cause`; forgotten when its session key's delete is seen, or the end fails. */
  end(session: string, cause: Cause): void {
    this.ending.set(session, cause);
  }

  forget(session: string): void {
    this.ending.delete(session);
  }

  /** The sessions a batch deletes the keys of, each with the cause its provisions go for. */
  ended(sessions: Iterable<string>, known: (session: string) => KnownSession | undefined): Map<string, Cause> {
    const causes = new Map<string, Cause>();
    for (const session of sessions) {
      const held = known(session);
      const client = held?.client || undefined;
      const own = this.ending.get(session);
      // Ended here, but not by this server's word: etcd let the lease run out (we were cut off from it).
      causes.set(session, own ?? { reason: held?.server === this.serverId ? 'lease-expired' : 'lease-ended', client });
    }
    return causes;
  }

  /** Why a provision of `session` was deleted, given the sessions its batch ended. */
  of(session: string, ended: ReadonlyMap<string, Cause>, known: KnownSession | undefined): Cause {
    return this.ending.get(session) ?? ended.get(session) ?? { reason: 'unprovide', client: known?.client || undefined };
  }
}
