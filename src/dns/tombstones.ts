// Names that existed a moment ago. A provider that restarts in place drops its records and provides
// them again about half a second later; in between, its names answer NODATA ("this name exists, with
// nothing of that type now") rather than NXDOMAIN ("no such name, nor anything below it"), for a
// bounded time after their last record went (docs/dns.md, "Restarts"). Pure: every call is told the
// time, so the bound is tested with a made-up clock.

export interface TombstoneOptions {
  /** How long a name keeps existing after its last record goes, in milliseconds; 0 turns this off. */
  readonly holdMs: number;
  /** The most names remembered; past it, the one buried longest ago is forgotten first. */
  readonly capacity?: number;
}

export class Tombstones {
  /**
   * Name → the moment it stops existing. Every name is held for the same time, so insertion order is
   * expiry order (a name buried again moves to the end): the next to expire is always the first.
   */
  private readonly until = new Map<string, number>();
  /** The first entry's moment, kept at hand: the server asks for it on every query. */
  private next = Number.POSITIVE_INFINITY;
  private readonly holdMs: number;
  private readonly capacity: number;

  constructor(options: TombstoneOptions) {
    this.holdMs = Math.max(0, options.holdMs);
    this.capacity = Math.max(1, options.capacity ?? 100_000);
  }

  get size(): number {
    return this.until.size;
  }

  /** The moment the next name stops existing, or Infinity when none is held. */
  get nextExpiry(): number {
    return this.next;
  }

  /** These names lost a record at `now`: each keeps existing until the hold has passed since. */
  bury(names: Iterable<string>, now: number): void {
    if (this.holdMs === 0) return;
    for (const name of names) {
      this.until.delete(name);
      if (this.until.size >= this.capacity) this.until.delete(this.until.keys().next().value!);
      this.until.set(name, now + this.holdMs);
    }
    this.refresh();
  }

  /** Whether `name` lost a record less than the hold before `now`. */
  holds(name: string, now: number): boolean {
    const until = this.until.get(name);
    // Stryker disable next-line ConditionalExpression: now < undefined is false too
    return until !== undefined && now < until;
  }

  /** Forgets the names whose hold is over at `now`, and returns them. */
  sweep(now: number): string[] {
    const expired: string[] = [];
    for (const [name, until] of this.until) {
      if (until > now) break;
      this.until.delete(name);
      expired.push(name);
    }
    this.refresh();
    return expired;
  }

  private refresh(): void {
    const first = this.until.values().next();
    this.next = first.done ? Number.POSITIVE_INFINITY : first.value;
  }
}
