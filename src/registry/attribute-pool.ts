// One shared copy of each set of attributes in use. Providers of one service mostly carry the same
// few sets (`zone`, `tier`): each provision parsed from the wire brings its own object and its own
// value strings, which a registry of 100,000 provisions would hold 100,000 times over. Pooled, each
// provision points at the one copy: the first provision's own, which nobody changes (a provision's
// attributes are read-only everywhere). The pool is bounded: past its size a set is kept as
// given, unshared, and the pool forgets the sets no provision holds any more.

import type { Attributes } from './types.ts';

/** How many distinct sets are shared at most: far more than a fleet's zones times tiers. */
export const MAX_POOLED_SETS = 4096;

interface Pooled {
  readonly attributes: Attributes;
  holders: number;
}

const NONE: Attributes = Object.freeze({});

export class AttributePool {
  private readonly sets = new Map<string, Pooled>();

  constructor(private readonly limit = MAX_POOLED_SETS) {}

  get size(): number {
    return this.sets.size;
  }

  /** The shared copy of `attributes` (`attributes` itself when it is the first), held once more. */
  hold(attributes: Attributes): Attributes {
    const signature = signatureOf(attributes);
    if (signature === '{}') return NONE;
    const pooled = this.sets.get(signature);
    if (pooled) {
      pooled.holders++;
      return pooled.attributes;
    }
    if (this.sets.size >= this.limit) return attributes;
    this.sets.set(signature, { attributes, holders: 1 });
    return attributes;
  }

  /** A provision holding `attributes` is gone: the last holder lets its set go. */
  release(attributes: Attributes): void {
    const signature = signatureOf(attributes);
    const pooled = this.sets.get(signature);
    // An unshared set (the pool was full when it came) is not the pooled copy: it holds nothing here.
    if (!pooled || pooled.attributes !== attributes) return;
    if (--pooled.holders === 0) this.sets.delete(signature);
  }
}

/** The set as one string, its keys in the order given: the same keys in another order make a second copy, which costs memory only. */
function signatureOf(attributes: Attributes): string {
  return JSON.stringify(attributes);
}
