import { describe, expect, it } from 'vitest';
import { holdingEmpty, urgency } from '../../../src/agent/urgency.ts';

describe('urgency: when a change to what a service requires is applied', () => {
  it('waits for the debounce while some endpoint it uses is still there', () => {
    expect(urgency({ applied: ['a:1'], current: ['a:1', 'b:1'], emptiedAt: undefined }, 1000)).toEqual({ kind: 'debounce' });
    expect(urgency({ applied: ['a:1', 'b:1'], current: ['b:1'], emptiedAt: undefined }, 1000)).toEqual({ kind: 'debounce' });
  });

  it('applies at once when none of its endpoints is left but others are there', () => {
    expect(urgency({ applied: ['a:1'], current: ['b:1'], emptiedAt: undefined }, 1000)).toEqual({ kind: 'now' });
    expect(urgency({ applied: [], current: ['b:1'], emptiedAt: undefined }, 1000)).toEqual({ kind: 'now' });
  });

  it('holds an empty set back until the hold is over', () => {
    expect(urgency({ applied: ['a:1'], current: [], emptiedAt: 5000 }, 1000)).toEqual({ kind: 'hold', untilMs: 6000 });
    expect(holdingEmpty({ applied: ['a:1'], current: [], emptiedAt: 5000 }, 1000, 5999)).toBe(true);
    expect(holdingEmpty({ applied: ['a:1'], current: [], emptiedAt: 5000 }, 1000, 6000)).toBe(false);
    expect(holdingEmpty({ applied: ['a:1'], current: [], emptiedAt: 5000 }, 0, 5000)).toBe(false);
    expect(holdingEmpty({ applied: ['a:1'], current: ['b:1'], emptiedAt: undefined }, 1000, 0)).toBe(false);
  });
});
