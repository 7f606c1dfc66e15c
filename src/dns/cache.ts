// Encoded replies, kept so that a query costs a lookup and a copy instead of an encoding. A registry change stamps the names whose answers it can change; a reply is
// good until its name is stamped after it was encoded. Replies that carry the zone's SOA are
// also tied to the serial they show, so no answer ever shows an old serial. An answer capped to
// what one TCP message holds is not kept: the next one starts where it ended (docs/dns.md).

interface Entry {
  /** The change count when it was encoded. */
  readonly stamp: number;
  /** The SOA serial it shows, if it shows one. */
  readonly serial: number | undefined;
  readonly reply: Buffer;
}

export interface ReplyCacheOptions {
  /** The most replies kept; the name cached longest ago goes first, with all its replies. */
  readonly capacity: number;
  /** The most stamped names remembered; past it, stamps and replies are forgotten together. */
  readonly maxStamps?: number;
}

export class ReplyCache {
  /** Lookups answered from the cache, and those that had to encode: plain counts, read by the metrics. */
  hits = 0;
  misses = 0;
  /** By name (the guard's wire-form key), then by what else shapes the reply (type, class, size...). */
  private readonly entries = new Map<string, Map<number, Entry>>();
  private count = 0;
  /** Absolute names (labels joined by dots, no trailing dot), each with the change that last touched it. */
  private readonly stamps = new Map<string, number>();
  private changes = 0;
  /** Where the next capped answer starts, by variant and name; as many as replies, oldest out first. */
  private readonly rotations = new Map<string, number>();
  private readonly capacity: number;
  private readonly maxStamps: number;

  constructor(options: ReplyCacheOptions) {
    this.capacity = Math.max(1, options.capacity);
    this.maxStamps = options.maxStamps ?? 200_000;
  }

  get size(): number {
    return this.count;
  }

  /** One registry change: every reply at these names, encoded before now, is stale. */
  touch(names: Iterable<string>): void {
    const stamp = ++this.changes;
    for (const name of names) {
      if (this.stamps.size >= this.maxStamps && !this.stamps.has(name)) {
        // Forgetting stamps would revive stale replies: forget the replies with them.
        this.stamps.clear();
        this.clear();
      }
      this.stamps.set(name, stamp);
    }
  }

  /** The reply cached for `name` and `variant`, if no change has touched `name` since, and its serial is current. */
  get(name: string, variant: number, serial: number): Buffer | undefined {
    const entry = this.entries.get(name)?.get(variant);
    if (!entry || (this.stamps.get(name) ?? 0) > entry.stamp || (entry.serial !== undefined && entry.serial !== serial)) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return entry.reply;
  }

  set(name: string, variant: number, reply: Buffer, serial: number | undefined): void {
    let variants = this.entries.get(name);
    if (variants?.delete(variant)) this.count--;
    while (this.count >= this.capacity) this.evictOldestName();
    if (!variants || !this.entries.has(name)) this.entries.set(name, (variants = new Map()));
    variants.set(variant, { stamp: this.changes, serial, reply });
    this.count++;
  }

  /** The answer record the next capped answer for `name` and `variant` starts at. */
  rotation(name: string, variant: number): number {
    return this.rotations.get(`${variant} ${name}`) ?? 0;
  }

  /** A capped answer was sent: the next one starts at `next`. */
  rotate(name: string, variant: number, next: number): void {
    const key = `${variant} ${name}`;
    this.rotations.delete(key);
    if (this.rotations.size >= this.capacity) this.rotations.delete(this.rotations.keys().next().value!);
    this.rotations.set(key, next);
  }

  clear(): void {
    this.entries.clear();
    this.count = 0;
  }

  /** Names are evicted whole, oldest first: the variants of one name come and go together. */
  private evictOldestName(): void {
    const [name, variants] = this.entries.entries().next().value!;
    this.entries.delete(name);
    this.count -= variants.size;
  }
}
