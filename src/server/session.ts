// A session outlives its connection by the grace period, so a client that reconnects and
// resumes loses nothing: its provisions stay registered and the pushes it missed are replayed.

import type { Connection } from './connection.ts';

/** A `changed` push, kept encoded: it is written once and replayed as it was. */
export interface ChangedPush {
  readonly seq: number;
  readonly line: string;
}

export interface Subscription {
  readonly id: string;
  seq: number;
  /** Pushes sent but not yet acknowledged, oldest first; replayed on resume. */
  readonly unacked: ChangedPush[];
}

export class Session {
  readonly provisions = new Set<string>();
  readonly subscriptions = new Map<string, Subscription>();
  /** Client-chosen keys, which make provide and require idempotent across a resume. */
  readonly provisionKeys = new KeyIndex();
  readonly subscriptionKeys = new KeyIndex();
  connection: Connection | undefined;
  graceTimer: NodeJS.Timeout | undefined;
  unackedCount = 0;
  ended = false;

  constructor(
    readonly id: string,
    readonly client: string,
  ) {}

  /** Forgets every push up to and including `seq` on one subscription (acks are cumulative). */
  acknowledge(subId: string, seq: number): void {
    const subscription = this.subscriptions.get(subId);
    if (!subscription) return;
    const unacked = subscription.unacked;
    let done = 0;
    while (done < unacked.length && unacked[done]!.seq <= seq) done++;
    if (done > 0) {
      unacked.splice(0, done);
      this.unackedCount -= done;
    }
  }

  /** Every unacknowledged push, in the order each subscription produced them. */
  pending(): ChangedPush[] {
    return [...this.subscriptions.values()].flatMap((subscription) => subscription.unacked);
  }
}

/** Client key ↔ server id, both ways, so that forgetting either costs no scan. */
export class KeyIndex {
  private readonly idByKey = new Map<string, string>();
  private readonly keyById = new Map<string, string>();

  get(key: string): string | undefined {
    return this.idByKey.get(key);
  }

  set(key: string, id: string): void {
    this.idByKey.set(key, id);
    this.keyById.set(id, key);
  }

  deleteId(id: string): void {
    const key = this.keyById.get(id);
    if (key === undefined) return;
    this.keyById.delete(id);
    this.idByKey.delete(key);
  }
}
