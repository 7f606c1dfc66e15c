// The health of one instance, as the agent's own checks find it (docs/manifest.md, "Health checks").
// Pure: each check's outcome and the time go in, the new state comes out. A new instance is
// `starting` (its failures do not count during start_period); one success makes it `healthy`;
// `retries` consecutive failures make it `unhealthy`, and one success healthy again. An instance
// whose state changes more than `flap.changes` times within `flap.within` is held out for
// `flap.hold`, whatever its checks say meanwhile.

import type { CompiledHealth } from '../manifest/compiled.ts';

export type HealthWord = 'starting' | 'healthy' | 'unhealthy';
/** What decides whether the instance is provided: its state, or held out for flapping. */
export type Verdict = HealthWord | 'held';

/** What the agent's checks say of one run of an instance. */
export interface CheckVerdict {
  readonly verdict: Verdict;
  /** In a few words, for `scs ps` and a step's cause: `unhealthy: 3 failures: status 503`. */
  readonly text: string;
  /** It was unhealthy or held out before, since this run started. */
  readonly recovered: boolean;
}

export interface HealthState {
  readonly state: HealthWord;
  readonly startedAtMs: number;
  /** Consecutive failures that counted. */
  readonly failures: number;
  /** When the last failure counted: a new instance, checked more often, counts at most one an interval. */
  readonly countedAtMs: number | undefined;
  /** The last failure's reason, kept until a success. */
  readonly lastError: string | undefined;
  /** When it changed between healthy and unhealthy lately, oldest first: at most `flap.changes` entries. */
  readonly changes: readonly number[];
  readonly heldUntilMs: number | undefined;
  /** It has been unhealthy or held out since it started: providing it again is a recovery. */
  readonly recovered: boolean;
}

export interface CheckOutcome {
  readonly ok: boolean;
  /** Why it failed, short: `connect ECONNREFUSED`, `status 503`, `exit 1`. */
  readonly error?: string;
}

export type HealthTiming = Pick<CompiledHealth, 'intervalMs' | 'retries' | 'startPeriodMs' | 'flap'>;

export interface Recorded {
  readonly state: HealthState;
  /** It has just been held out: how many changes it made within the window. */
  readonly flapped?: number;
}

export const startingState = (startedAtMs: number): HealthState => ({
  state: 'starting',
  startedAtMs,
  failures: 0,
  countedAtMs: undefined,
  lastError: undefined,
  changes: [],
  heldUntilMs: undefined,
  recovered: false,
});

/** A run the agent saw pass before it watched it (a container promoted, or taken over once ready). */
export const healthyState = (startedAtMs: number): HealthState => ({ ...startingState(startedAtMs), state: 'healthy' });

export function recordCheck(state: HealthState, outcome: CheckOutcome, nowMs: number, timing: HealthTiming): Recorded {
  if (outcome.ok) {
    const passed = { ...state, failures: 0, countedAtMs: undefined, lastError: undefined };
    if (state.state === 'healthy') return { state: passed };
    return changeTo(passed, 'healthy', nowMs, timing);
  }
  const failed = { ...state, lastError: outcome.error ?? 'failed' };
  if (state.state === 'starting') {
    // Its start period: failures are expected. Afterwards it is checked more often than every interval until it passes.
    if (nowMs < state.startedAtMs + timing.startPeriodMs) return { state: failed };
    if (state.countedAtMs !== undefined && nowMs - state.countedAtMs < timing.intervalMs * 0.9) return { state: failed };
  }
  const failures = state.failures + 1;
  const counted = { ...failed, failures, countedAtMs: nowMs };
  if (state.state === 'unhealthy' || failures < timing.retries) return { state: counted };
  return changeTo(counted, 'unhealthy', nowMs, timing);
}

/** A change of state, counted for flap damping (a first success is no change: nothing was provided before). */
function changeTo(state: HealthState, next: HealthWord, nowMs: number, { flap }: HealthTiming): Recorded {
  const changed = { ...state, state: next, recovered: state.recovered || next === 'unhealthy' };
  if (state.state === 'starting' && next === 'healthy') return { state: changed };
  const recent = [...state.changes.filter((at) => nowMs - at < flap.withinMs), nowMs];
  if (recent.length <= flap.changes) return { state: { ...changed, changes: recent } };
  // Held out afresh: the changes that did it are spent, so it takes as many more to hold it out again.
  return { state: { ...changed, changes: [], heldUntilMs: nowMs + flap.holdMs, recovered: true }, flapped: recent.length };
}

export function verdictOf(state: HealthState, nowMs: number): Verdict {
  return state.heldUntilMs !== undefined && nowMs < state.heldUntilMs ? 'held' : state.state;
}

/** The state in a few words, as `scs ps` shows it: `healthy`, `unhealthy: 3 failures: status 503`, `held out 21 s (flapping)`. */
export function describeHealth(state: HealthState, nowMs: number): string {
  const verdict = verdictOf(state, nowMs);
  if (verdict === 'held') return `held out ${Math.ceil((state.heldUntilMs! - nowMs) / 1000)} s (flapping)`;
  if (verdict === 'unhealthy') return `unhealthy: ${state.failures} failures: ${state.lastError}`;
  if (verdict === 'starting' && state.lastError) return `starting: ${state.lastError}`;
  return verdict;
}
