// Issue 26 §1: attribute globs are matched in linear time. A backtracking RegExp took 19 s for
// `*a*a*a*a*b` against 200 × `a`, and never answered `*a` × 10 `*b` against 240 × `a`.

import { describe, expect, it } from 'vitest';
import { compileGlob, type GlobSteps, matchGlob } from '../../src/registry/glob.ts';

/** What a glob means, written the slow, obvious way: a reference to compare with on short inputs. */
function reference(pattern: string, value: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(value);
}

/** A small generator with a fixed seed, so every run tries the same cases. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('attribute globs', () => {
  it('matches as the obvious backtracking reading does, on 5,000 short patterns and values', () => {
    const next = random(26);
    const word = (alphabet: string, longest: number) => {
      let text = '';
      for (let length = Math.floor(next() * (longest + 1)); length > 0; length--) text += alphabet[Math.floor(next() * alphabet.length)];
      return text;
    };
    let matched = 0;
    for (let round = 0; round < 5_000; round++) {
      const pattern = word('ab*', 7);
      const value = word('ab', 9);
      const expected = reference(pattern, value);
      expect(matchGlob(pattern, value), `${JSON.stringify(pattern)} against ${JSON.stringify(value)}`).toBe(expected);
      if (expected) matched++;
    }
    // Both answers are well represented, so agreement means something.
    expect(matched).toBeGreaterThan(500);
    expect(matched).toBeLessThan(4_500);
  });

  it('treats every character but * literally, newlines and regex characters included', () => {
    expect(matchGlob('a.c', 'abc')).toBe(false);
    expect(matchGlob('a.c', 'a.c')).toBe(true);
    expect(matchGlob('(x)*[y]', '(x) and [y]')).toBe(true);
    expect(matchGlob('a*z', 'a\nb\nz')).toBe(true);
    expect(matchGlob('ab*ba', 'aba')).toBe(false); // head and tail may not overlap
    expect(matchGlob('*', '')).toBe(true);
    expect(matchGlob('**', 'x')).toBe(true);
  });

  it('takes steps linear in the pattern and the value on the worst case, at every length up to 255', () => {
    const patterns = ['*a*a*a*a*b', `${'*a'.repeat(10)}*b`, `*${'a'.repeat(20)}b*`, `*${'ab'.repeat(30)}c`];
    for (const pattern of patterns) {
      const matcher = compileGlob(pattern);
      for (let length = 0; length <= 255; length++) {
        const steps: GlobSteps = { count: 0 };
        const value = 'a'.repeat(length);
        expect(matcher(value, steps)).toBe(false);
        expect(steps.count, `${pattern} against ${length} × a`).toBeLessThanOrEqual(2 * (pattern.length + length));
      }
    }
  });

  it('answers the attack that froze the server: *a × 10 *b against 240 × a', () => {
    const steps: GlobSteps = { count: 0 };
    expect(matchGlob(`${'*a'.repeat(10)}*b`, 'a'.repeat(240), steps)).toBe(false);
    expect(matchGlob(`${'*a'.repeat(10)}*b`, `${'a'.repeat(240)}b`, steps)).toBe(true);
    expect(steps.count).toBeLessThanOrEqual(2 * (2 * 22 + 481));
  });
});
