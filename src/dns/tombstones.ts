// Names that existed a moment ago. A provider that restarts in place drops its records and provides
// them again about half a second later; in between, its names answer NODATA ("this name exists, with
// nothing of that type now") rather than NXDOMAIN ("no such name, nor anything below it"), for a
// bounded time after their last record went (docs/dns.md, "Restarts"). Pure: every call is told the
// time, so the bound is tested with a made-up clock. A name is whatever stands for it: the DNS server
// buries the views' nodes (objects), which a Map finds without reading any name's text; tests bury
// strings.

export interface TombstoneOptions {
  /** How long a name keeps existing after its last record goes, in milliseconds; 0 turns this off. */
  readonly holdMs: number;
  /** The most names remembered; past it, the half buried longest ago is forgotten first. */
  readonly capacity?: number;
}

export class Tombstones<Name = string> {
  /**
   * Name → the number of its latest burial, in two generations of at most half the capacity each:
   * names go into the young one; once it is full it becomes the old one, and the old one is
   * forgotten whole. A name costs one Map write when buried, and none when forgotten for room: a
   * mass goodbye buries 300,000 names past the capacity, and forgetting each of them alone (looking
   * it up, then deleting it) was most of its cost.
   */
  private young = new Map<Name, number>();
  private old = new Map<Name, number>();
  /** The numbers the young and the old generation began at: burials before `oldFrom` are forgotten. */
  private youngFrom = 0;
  private oldFrom = 0;
  private next = 0;
  /**
   * Every burial (its name, number and end), in the order they were made, which is expiry order,
   * since every name is held for the same time. One that is no longer its name's latest (buried
   * again, or forgotten with its generation) stays until it reaches the front or the queue is compacted.
   */
  private names: Name[] = [];
  private numbers: number[] = [];
  private untils: number[] = [];
  private head = 0;
  private readonly holdMs: number;
  private readonly half: number;
  /** Names buried and queue entries looked at so far: a count of work, for tests that show it stays linear. */
  steps = 0;

  constructor(options: TombstoneOptions) {
    this.holdMs = Math.max(0, options.holdMs);
    this.half = Math.max(1, Math.floor((options.capacity ?? 100_000) / 2));
  }

  /** Names held; one buried again since its generation turned over counts twice, until it turns over again. */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /** The moment the next name stops existing, or Infinity when none is held. */
  get nextExpiry(): number {
    return this.first() ? this.untils[this.head]! : Number.POSITIVE_INFINITY;
  }

  /**
   * These names lost a record at `now`: each keeps existing until the hold has passed since. Each
   * burial is numbered, one after another: returns the first number (the next, if none was made).
   */
  bury(names: Iterable<Name>, now: number): number {
    const first = this.next;
    if (this.holdMs === 0) return first;
    const until = now + this.holdMs;
    for (const name of names) {
      this.steps++;
      if (this.young.size >= this.half) this.turnOver();
      const number = this.next++;
      this.young.set(name, number);
      this.names.push(name);
      this.numbers.push(number);
      this.untils.push(until);
    }
    this.compact();
    return first;
  }

  /** Whether `name` lost a record less than the hold before `now`. */
  holds(name: Name, now: number): boolean {
    const number = this.latest(name);
    return number !== undefined && now < this.untilOf(number);
  }

  /** Forgets the names whose hold is over at `now`, and returns them. */
  sweep(now: number): Name[] {
    const expired: Name[] = [];
    while (this.first() && this.untils[this.head]! <= now) {
      const name = this.names[this.head++]!;
      this.young.delete(name);
      this.old.delete(name);
      expired.push(name);
    }
    this.compact();
    return expired;
  }

  /**
   * Burials numbered below this are forgotten: a name whose latest burial is numbered at or above
   * it may be held still. Read by the owner of the names, which keeps them as long, with no lookup.
   */
  get forgottenBelow(): number {
    return this.oldFrom;
  }

  private latest(name: Name): number | undefined {
    return this.young.get(name) ?? this.old.get(name);
  }

  /** When a burial still held ends: found by its number, which the queue keeps in order. */
  private untilOf(number: number): number {
    let low = this.head;
    let high = this.numbers.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.numbers[middle]! < number) low = middle + 1;
      else high = middle;
    }
    return this.untils[low]!;
  }

  /** The young generation becomes the old one; the old one is forgotten, with its burials at the queue's front. */
  private turnOver(): void {
    this.old = this.young;
    this.young = new Map();
    this.oldFrom = this.youngFrom;
    this.youngFrom = this.next;
    while (this.head < this.numbers.length && this.numbers[this.head]! < this.oldFrom) {
      this.steps++;
      this.head++;
    }
  }

  /** Whether the oldest burial still latest for its name is at the head; stale ones in front are dropped on the way. */
  private first(): boolean {
    while (this.head < this.numbers.length) {
      this.steps++;
      if (this.latest(this.names[this.head]!) === this.numbers[this.head]) return true;
      this.head++;
    }
    return false;
  }

  /**
   * Keeps the queue within twice the names held (plus a little): stale and forgotten burials are
   * copied out once each, so the work stays linear in the names buried. A burst of distinct names
   * (a mass goodbye) leaves little stale; a few names buried again and again leave much.
   */
  private compact(): void {
    const queued = this.numbers.length - this.head;
    if (queued > 2 * this.size + 1024) {
      const kept = { names: [] as Name[], numbers: [] as number[], untils: [] as number[] };
      for (let at = this.head; at < this.numbers.length; at++) {
        this.steps++;
        if (this.latest(this.names[at]!) !== this.numbers[at]) continue;
        kept.names.push(this.names[at]!);
        kept.numbers.push(this.numbers[at]!);
        kept.untils.push(this.untils[at]!);
      }
      Object.assign(this, kept, { head: 0 });
    } else if (this.head > queued) {
      // The front, forgotten, is longer than the rest: let it go, each entry copied at most once.
      this.names = this.names.slice(this.head);
      this.numbers = this.numbers.slice(this.head);
      this.untils = this.untils.slice(this.head);
      this.head = 0;
    }
  }
}
