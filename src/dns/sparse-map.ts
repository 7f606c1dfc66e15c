// A Map whose entries go out of use in bursts (a mass goodbye takes hundreds of thousands at once),
// and V8 shrinks (rehashes) a Map again and again as it is emptied one delete at a time. An entry that
// goes out of use stays until the living are copied into a new Map together, once the Map holds more
// than four times as many entries as live (plus 1,024): each living entry is copied at most once for
// three that went, and memory stays proportional to what lives. The DNS views keep their names and
// their shown provisions in one each. An entry that went may be kept on (`keeps`: a name held after
// its last record went): such entries are counted at each copy, and the next copy waits for twice as
// many more to go, so keeping them costs each at most a copy per entry gone since.

export class SparseMap<K, V> {
  private map = new Map<K, V>();
  private living = 0;
  /** Entries that went but were kept at the last copy. */
  private retained = 0;
  /** Entries looked at by the copies so far: a count of work, for tests that show it stays linear. */
  copied = 0;

  /**
   * `lives` tells an entry in use from one that went: the owner says when one turns (`born`, `died`).
   * `keeps` tells those kept when the living are copied: the living, and any others it wants.
   */
  constructor(
    private readonly lives: (value: V) => boolean,
    private readonly keeps: (value: V) => boolean = lives,
  ) {}

  /** How many entries live. */
  get size(): number {
    return this.living;
  }

  /** How many entries are kept, living or gone a moment ago: for tests of the bound. */
  get stored(): number {
    return this.map.size;
  }

  /** The value of a living entry. */
  get(key: K): V | undefined {
    const found = this.map.get(key);
    return found !== undefined && this.lives(found) ? found : undefined;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  /** The value of an entry, whether it lives or went a moment ago. */
  known(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Stores a value; whether it lives is told by `born` and `died`, as it turns. */
  set(key: K, value: V): void {
    this.map.set(key, value);
  }

  /** An entry began to live. */
  born(): void {
    this.living++;
  }

  /** An entry stopped living. */
  died(): void {
    this.living--;
    if (this.map.size > 4 * this.living + 2 * this.retained + 1024) {
      const kept = new Map<K, V>();
      this.copied += this.map.size;
      for (const [key, value] of this.map) if (this.keeps(value)) kept.set(key, value);
      this.map = kept;
      this.retained = kept.size - this.living;
    }
  }

  /** The living keys, in no order. */
  *keys(): IterableIterator<K> {
    for (const [key, value] of this.map) if (this.lives(value)) yield key;
  }

  /** The living entries, in no order. */
  *entries(): IterableIterator<[K, V]> {
    for (const entry of this.map) if (this.lives(entry[1])) yield entry;
  }
}
