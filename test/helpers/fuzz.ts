// What the seeded fuzz tests share: a small, fast PRNG that a seed replays exactly, and the JSON
// kinds and prototype keys a hostile value is made of.

/** mulberry32: a 32-bit seed gives the same sequence of numbers in [0, 1) every run. */
export function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Kind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';
export const KINDS: Kind[] = ['null', 'boolean', 'number', 'string', 'array', 'object'];
/** Keys that reach an object's prototype, or shadow what every object has. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
