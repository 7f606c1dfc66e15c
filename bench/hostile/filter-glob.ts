// Issue 26 §1: an attribute filter whose globs a backtracking RegExp tried in exponential time.
// Measures the worst of the review's patterns against values up to the 255 characters an
// attribute may hold.

import { compileFilter } from '../../src/registry/filter.ts';
import { summarize } from '../lib/stats.ts';
import type { Attack } from './attack.ts';

const LENGTH = 255;
const RUN = 'a'.repeat(LENGTH);
/** The review's patterns, and ones that make a matcher read the whole value: [pattern, value, matches]. */
const CASES: Array<[string, string, boolean]> = [
  ['*a*a*a*a*b', RUN, false],
  [`${'*a'.repeat(10)}*b`, RUN, false],
  [`${'*a'.repeat(10)}*b`, `${RUN.slice(1)}b`, true],
  [`*${'a'.repeat(20)}b*`, RUN, false],
  [`*${'a'.repeat(100)}b*a`, RUN, false],
];
const ROUNDS = 200;

const attack: Attack = {
  name: 'filter-glob',
  replays: `require with az "*a*a*a*a*b" and "*a" × 10 "*b" against a provider whose az holds ${LENGTH} × a`,
  before: '19 s for *a*a*a*a*b against 200 × a; *a×10*b against 240 × a never answered',
  target: `worst case at ${LENGTH} characters under 1 ms`,
  async run() {
    // The worst case is the input: the slowest pattern's median, so that a pause of a loaded
    // machine in one round does not pass for the matcher's cost.
    let worst = 0;
    for (const [pattern, value, expected] of CASES) {
      const matches = compileFilter({ az: pattern });
      const attributes = { az: value };
      const times: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const start = performance.now();
        if (matches(attributes) !== expected) throw new Error(`${pattern} against ${value}: expected ${expected}`);
        times.push(performance.now() - start);
      }
      worst = Math.max(worst, summarize(times).p50);
    }
    return { figure: `${worst.toFixed(4)} ms (median of ${ROUNDS}) for the slowest case at ${LENGTH} characters`, met: worst < 1 };
  },
};

export default attack;
