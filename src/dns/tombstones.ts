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

/** One burial: the name and when it stops existing. Reburying a name makes a new one. */
interface Burial {
  readonly name: string;
  readonly until: number;
}

export class Tombstones {
  /** Name → its latest burial. */
  private readonly latest = new Map<string, Burial>();
  /**
   * Burials in the order they were made, which is expiry order, since every name is held for the
   * same time: the next to expire is always the first still latest for its name. A reburied
   * name's older burial stays here, stale, until it reaches the front or the queue is compacted.
   * A queue of our own rather than the Map's order: V8 leaves a hole for every key deleted at a
   * Map's front and walks them all to find its first entry, which made a mass goodbye quadratic.
   */
  private queue: Burial[] = [];
  private head = 0;
  private readonly holdMs: number;
  private readonly capacity: number;
  /** Burials looked at so far: a count of work, for tests that show it stays linear. */
  steps = 0;

  constructor(options: TombstoneOptions) {
    this.holdMs = Math.max(0, options.holdMs);
    this.capacity = Math.max(1, options.capacity ?? 100_000);
  }

  get size(): number {
    return this.latest.size;
  }

  /** The moment the next name stops existing, or Infinity when none is held. */
  get nextExpiry(): number {
    const first = this.first();
    return first ? first.until : Number.POSITIVE_INFINITY;
  }

  /** These names lost a record at `now`: each keeps existing until the hold has passed since. */
  bury(names: Iterable<string>, now: number): void {
    if (this.holdMs === 0) return;
    for (const name of names) {
      this.steps++;
      if (!this.latest.has(name) && this.latest.size >= this.capacity) this.forget(this.first()!);
      const burial = { name, until: now + this.holdMs };
      this.latest.set(name, burial);
      this.queue.push(burial);
    }
    this.compact();
  }

  /** Whether `name` lost a record less than the hold before `now`. */
  holds(name: string, now: number): boolean {
    const burial = this.latest.get(name);
    // Stryker disable next-line ConditionalExpression: now < undefined is false too
    return burial !== undefined && now < burial.until;
  }

  /** Forgets the names whose hold is over at `now`, and returns them. */
  sweep(now: number): string[] {
    const expired: string[] = [];
    for (let first = this.first(); first && first.until <= now; first = this.first()) {
      this.forget(first);
      expired.push(first.name);
    }
    this.compact();
    return expired;
  }

  /** The oldest burial still latest for its name; stale ones in front are dropped on the way. */
  private first(): Burial | undefined {
    while (this.head < this.queue.length) {
      const burial = this.queue[this.head]!;
      this.steps++;
      if (this.latest.get(burial.name) === burial) return burial;
      this.head++;
    }
    return undefined;
  }

  private forget(burial: Burial): void {
    this.latest.delete(burial.name);
    this.head++;
  }

  /**
   * Keeps the queue within twice the names held (plus a little): stale and forgotten burials are
   * copied out once each, so the work stays linear in the names buried.
   */
  private compact(): void {
    if (this.queue.length <= 2 * this.latest.size + 1024) return;
    const live: Burial[] = [];
    for (let at = this.head; at < this.queue.length; at++) {
      const burial = this.queue[at]!;
      this.steps++;
      if (this.latest.get(burial.name) === burial) live.push(burial);
    }
    this.queue = live;
    this.head = 0;
  }
}
