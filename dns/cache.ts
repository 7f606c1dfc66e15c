// Encoded replies, kept so that a query costs a lookup and a copy instead of an encoding (dns2's
// writer is slow). A registry change stamps the names whose answers it can change; a reply is
// good until its name is stamped after it was encoded. Replies that carry the zone's SOA are
// also tied to the serial they show, so no answer ever shows an old serial.

interface Entry {
  /** The change count when it was encoded. */
  readonly stamp: number;
  /** The SOA serial it shows, if it shows one. */
  readonly serial: number | undefined;
  readonly reply: Buffer;
}

export interface ReplyCacheOptions {
  /** The most replies kept; the oldest encoded goes first. */
  readonly capacity: number;
  /** The most stamped names remembered; past it, stamps and replies are forgotten together. */
  readonly maxStamps?: number;
}

export class ReplyCache {
  private readonly entries = new Map<string, Entry>();
  /** Absolute names (labels joined by dots, no trailing dot), each with the change that last touched it. */
  private readonly stamps = new Map<string, number>();
  private changes = 0;
  private readonly capacity: number;
  private readonly maxStamps: number;

  constructor(options: ReplyCacheOptions) {
    this.capacity = Math.max(1, options.capacity);
    this.maxStamps = options.maxStamps ?? 200_000;
  }

  get size(): number {
    return this.entries.size;
  }

  /** One registry change: every reply at these names, encoded before now, is stale. */
  touch(names: Iterable<string>): void {
    const stamp = ++this.changes;
    for (const name of names) {
      if (this.stamps.size >= this.maxStamps && !this.stamps.has(name)) {
        // Forgetting stamps would revive stale replies: forget the replies with them.
        this.stamps.clear();
        this.entries.clear();
      }
      this.stamps.set(name, stamp);
    }
  }

  /** The reply cached under `key` for `name`, if no change has touched `name` since, and its serial is current. */
  get(key: string, name: string, serial: number): Buffer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if ((this.stamps.get(name) ?? 0) > entry.stamp) return undefined;
    if (entry.serial !== undefined && entry.serial !== serial) return undefined;
    return entry.reply;
  }

  set(key: string, reply: Buffer, serial: number | undefined): void {
    if (!this.entries.delete(key) && this.entries.size >= this.capacity) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, { stamp: this.changes, serial, reply });
  }

  clear(): void {
    this.entries.clear();
  }
}
