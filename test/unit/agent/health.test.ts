// The health of one instance as the agent's checks find it: each case a run of check outcomes at
// given times (a fake clock), and the verdicts after each, as text.

import { describe, expect, it } from 'vitest';
import { describeHealth, type HealthState, type HealthTiming, recordCheck, startingState, verdictOf } from '../../../src/agent/health.ts';

const timing = (over: Partial<HealthTiming> = {}): HealthTiming => ({
  intervalMs: 1000,
  retries: 3,
  startPeriodMs: 0,
  flap: { changes: 3, withinMs: 60_000, holdMs: 30_000 },
  ...over,
});

/** `+` a pass, `-` a failure, each at its time in ms: the verdict after each, and the lines a flap would log. */
function run(checks: Array<[number, '+' | '-']>, t = timing()): { verdicts: string; flaps: number[]; state: HealthState } {
  let state = startingState(0);
  const verdicts: string[] = [];
  const flaps: number[] = [];
  for (const [at, outcome] of checks) {
    const recorded = recordCheck(state, outcome === '+' ? { ok: true } : { ok: false, error: 'status 503' }, at, t);
    state = recorded.state;
    if (recorded.flapped !== undefined) flaps.push(recorded.flapped);
    verdicts.push(verdictOf(state, at));
  }
  return { verdicts: verdicts.join(' '), flaps, state };
}

const every = (ms: number, outcomes: string, from = 0): Array<[number, '+' | '-']> =>
  [...outcomes].map((outcome, i) => [from + i * ms, outcome as '+' | '-']);

describe('the health of an instance', () => {
  it.each([
    ['one success makes a new instance healthy', every(1000, '+'), 'healthy'],
    ['a healthy one is unhealthy after `retries` failures in a row', every(1000, '+---'), 'healthy healthy healthy unhealthy'],
    ['a success between failures starts the count over', every(1000, '+--+--'), 'healthy healthy healthy healthy healthy healthy'],
    ['one success makes an unhealthy one healthy again', every(1000, '+---+'), 'healthy healthy healthy unhealthy healthy'],
    ['a new instance that never passes is unhealthy after `retries` failures', every(1000, '---+'), 'starting starting unhealthy healthy'],
  ])('%s', (_, checks, expected) => {
    expect(run(checks).verdicts).toBe(expected);
  });

  it('does not count failures during the start period', () => {
    const checks = every(1000, '-----');
    expect(run(checks, timing({ startPeriodMs: 2500 })).verdicts).toBe('starting starting starting starting starting');
    expect(
      run([...checks, [5000, '-']], timing({ startPeriodMs: 2500 }))
        .verdicts.split(' ')
        .at(-1),
    ).toBe('unhealthy');
  });

  it('counts at most one failure an interval while it starts, though it is checked more often', () => {
    // Checked every 250 ms until it first passes: 12 failures in 2.75 s count as 3.
    const fast = every(250, '------------');
    expect(run(fast).verdicts.split(' ').indexOf('unhealthy')).toBe(8);
  });

  it('holds out an instance that changes state more than 3 times in 60 s, for 30 s, and says how often it flapped', () => {
    // healthy, then unhealthy (1), healthy (2), unhealthy (3), healthy (4: held out).
    const checks = every(1000, '+---+---+');
    const { verdicts, flaps, state } = run(checks);
    expect(verdicts).toBe('healthy healthy healthy unhealthy healthy healthy healthy unhealthy held');
    expect(flaps).toEqual([4]);
    expect(verdictOf(state, 8000 + 29_999)).toBe('held');
    expect(verdictOf(state, 8000 + 30_000)).toBe('healthy');
    expect(describeHealth(state, 8000 + 10_000)).toBe('held out 20 s (flapping)');
  });

  it('forgets changes older than the window', () => {
    // Four changes, but the first one 61 s before the fourth: not held out.
    const checks: Array<[number, '+' | '-']> = [...every(1000, '+---'), ...every(1000, '+---+', 61_000)];
    expect(run(checks).flaps).toEqual([]);
  });

  it('takes its flap numbers from the stack file', () => {
    const { flaps, state } = run(every(1000, '+-+-'), timing({ retries: 1, flap: { changes: 2, withinMs: 10_000, holdMs: 5000 } }));
    expect(flaps).toEqual([3]);
    expect(verdictOf(state, 3000 + 4999)).toBe('held');
    expect(verdictOf(state, 3000 + 5000)).toBe('unhealthy');
  });

  it('says why, in a few words', () => {
    expect(describeHealth(run(every(1000, '+---')).state, 3000)).toBe('unhealthy: 3 failures: status 503');
    expect(describeHealth(run(every(1000, '-')).state, 0)).toBe('starting: status 503');
    expect(describeHealth(run(every(1000, '+')).state, 0)).toBe('healthy');
  });
});
