// The steps the agent takes on a service, each with its cause, and their text form: the plan is
// what the log and `scs ps` show, and what the tests compare against expected text.

export type StepKind = 'create' | 'start' | 'ready' | 'provide' | 'liveupdate' | 'drop' | 'stop' | 'remove';

export interface Step {
  readonly kind: StepKind;
  /** Why the planner chose it, in words a user reads: "liveupdate of mysql failed (exit 1)". */
  readonly cause: string;
  /** For `liveupdate`: the required endpoint whose update runs. */
  readonly endpoint?: string;
}

export const step = (kind: StepKind, cause: string, endpoint?: string): Step => (endpoint === undefined ? { kind, cause } : { kind, cause, endpoint });

/** One step as a line: `web: liveupdate http (http → 10.0.0.5:8080)`. */
export function formatStep(role: string, { kind, cause, endpoint }: Step): string {
  return `${role}: ${kind}${endpoint === undefined ? '' : ` ${endpoint}`} (${cause})`;
}

export function formatPlan(role: string, steps: readonly Step[]): string {
  return steps.map((s) => formatStep(role, s)).join('\n');
}
