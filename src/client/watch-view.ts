// What one subscription shows its application, kept in step with the server. Pure: no I/O and no
// timers; the caller passes the time in and asks when the next deadline is.
//
// - A snapshot (the reply to `require`) replaces the view; after the first, only the difference is told.
// - `changed` and `resync` pushes may come in parts; they are joined and applied once, on the last
//   part, if their seq is newer than the last one applied (a resume replays what was not acked).
// - After a server restart providers re-register over a moment. An endpoint missing from the first
//   snapshot of a new session is held in limbo for the server's grace before its drop is told; one
//   that comes back in time was never gone.

import { applyChange, type Endpoint, identity, reconcile, sortEndpoints, type ViewChange } from './view.ts';

export type { ViewChange } from './view.ts';

export interface Snapshot {
  readonly sub: string;
  readonly seq: number;
  readonly endpoints: readonly Endpoint[];
}

/** One line of a `changed` or `resync` push. */
export type PushPart =
  | { op: 'changed'; sub: string; seq: number; add: readonly Endpoint[]; drop: readonly Endpoint[]; more?: boolean | undefined }
  | { op: 'resync'; sub: string; seq: number; endpoints: readonly Endpoint[]; more?: boolean | undefined };

export interface PushOutcome {
  /** The push is whole: acknowledge this seq. */
  readonly ack: number | undefined;
  readonly change: ViewChange;
}

const NOTHING: ViewChange = { add: [], drop: [] };

interface Joining {
  readonly op: PushPart['op'];
  readonly seq: number;
  readonly add: Endpoint[];
  readonly drop: Endpoint[];
}

export class WatchView {
  /** The server's id for the subscription in the current session, once known. */
  sub: string | undefined;
  /** The last seq applied, in the current subscription's numbering. */
  seq = 0;
  private synced = false;
  // Stryker disable next-line BooleanLiteral: read only by snapshot, whose first call returns nothing whatever it says, and sessionLost sets it first
  private settling = false;
  private readonly view = new Map<string, Endpoint>();
  private readonly limbo = new Map<string, { endpoint: Endpoint; until: number }>();
  private joining: Joining | undefined;

  /** Every endpoint the application knows of, those in limbo included, in stable order. */
  get endpoints(): Endpoint[] {
    return sortEndpoints([...this.view.values(), ...[...this.limbo.values()].map((held) => held.endpoint)]);
  }

  /** The session was lost: the next snapshot, in a new numbering, may lack providers still on their way back. */
  sessionLost(): void {
    this.sub = undefined;
    this.joining = undefined;
    this.settling = this.synced;
  }

  /** Applies the reply to `require`; returns what the application must be told (nothing, the first time). */
  snapshot(snapshot: Snapshot, now: number, grace: number): ViewChange {
    // A resumed subscription may have seen replayed pushes newer than this snapshot.
    this.seq = this.sub === snapshot.sub ? Math.max(this.seq, snapshot.seq) : snapshot.seq;
    if (this.sub !== snapshot.sub) this.joining = undefined;
    this.sub = snapshot.sub;
    const change = reconcile(this.view, snapshot.endpoints);
    const first = !this.synced;
    const settling = this.settling;
    this.synced = true;
    this.settling = false;
    if (first) return NOTHING;
    if (!settling) return { add: this.unlimbo(change.add), drop: change.drop };
    for (const endpoint of change.drop) this.limbo.set(identity(endpoint), { endpoint, until: now + grace });
    return { add: this.unlimbo(change.add), drop: [] };
  }

  /** Takes one line of a push. Parts are joined; the whole push is applied once, if newer than what was applied. */
  push(part: PushPart): PushOutcome {
    let add = part.op === 'changed' ? part.add : part.endpoints;
    // Stryker disable next-line ArrayDeclaration: a resync reads no drops, and a string among a change's drops has no id that applyChange holds
    let drop = part.op === 'changed' ? part.drop : [];
    if (this.joining && (this.joining.op !== part.op || this.joining.seq !== part.seq)) this.joining = undefined;
    // Most pushes come whole: they are applied from the line itself, without copying.
    // Stryker disable next-line ConditionalExpression: a whole push then goes through the copy that joins parts: the same lists, copied
    if (part.more === true || this.joining) {
      // Stryker disable next-line ArrayDeclaration: a string among a change's drops has no id that applyChange holds
      const joining = (this.joining ??= { op: part.op, seq: part.seq, add: [], drop: [] });
      for (const endpoint of add) joining.add.push(endpoint);
      for (const endpoint of drop) joining.drop.push(endpoint);
      if (part.more === true) return { ack: undefined, change: NOTHING };
      this.joining = undefined;
      ({ add, drop } = joining);
    }
    if (part.seq <= this.seq) return { ack: part.seq, change: NOTHING }; // Replayed, and seen already.
    this.seq = part.seq;
    const change = part.op === 'changed' ? applyChange(this.view, add, drop) : this.resync(add);
    return { ack: part.seq, change: { add: this.unlimbo(change.add), drop: change.drop } };
  }

  /** Tells the drops whose grace has run out by `now`. */
  expire(now: number): ViewChange {
    const drop: Endpoint[] = [];
    for (const [key, held] of this.limbo) {
      if (held.until > now) continue;
      this.limbo.delete(key);
      drop.push(held.endpoint);
    }
    // Stryker disable next-line ConditionalExpression: an empty change either way
    return drop.length === 0 ? NOTHING : { add: [], drop: sortEndpoints(drop) };
  }

  /** When the next endpoint in limbo runs out of grace, if any is held. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: endpoints enter limbo in the order of their deadlines (one grace each), so the first is the earliest
    for (const { until } of this.limbo.values()) if (next === undefined || until < next) next = until;
    return next;
  }

  /** Replaces the view by the server's whole list, by id; returns the difference. */
  private resync(endpoints: readonly Endpoint[]): ViewChange {
    const listed = new Map(endpoints.map((endpoint) => [endpoint.id, endpoint]));
    const drop = [...this.view.values()].filter((endpoint) => !listed.has(endpoint.id));
    const add = endpoints.filter((endpoint) => !this.view.has(endpoint.id));
    this.view.clear();
    for (const [id, endpoint] of listed) this.view.set(id, endpoint);
    return { add: sortEndpoints(add), drop: sortEndpoints(drop) };
  }

  /** Returns the adds that are news: those back from limbo were never told gone. */
  private unlimbo(add: Endpoint[]): Endpoint[] {
    // Stryker disable next-line ConditionalExpression: filtering against an empty limbo keeps every add
    if (this.limbo.size === 0) return add;
    return add.filter((endpoint) => !this.limbo.delete(identity(endpoint)));
  }
}
