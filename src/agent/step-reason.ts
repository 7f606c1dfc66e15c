// The closed word (src/reasons.ts) for the cause of a plan step. The planner's causes are sentences
// for people ("its container exited with status 1"); events and metrics need a word that names the
// kind of cause whatever its details, so each sentence reconcile.ts writes maps to one here, and a
// unit test walks the planner's cases to keep the two in step.

import type { StepReason } from '../reasons.ts';
import type { Step } from './plan.ts';

/** Tried in order; the first that matches names the cause. */
const CAUSES: ReadonlyArray<readonly [RegExp, StepReason]> = [
  [/^replace: its configuration changed/, 'config-changed'],
  [/^replace: /, 'liveupdate-failed'],
  [/^(no container yet|its new container)$/, 'no-container'],
  [/^its container (exited|had stopped)|^started again$/, 'container-exited'],
  [/^its container restarted$/, 'container-restarted'],
  [/^its container is gone$/, 'container-gone'],
  [/^its container is unhealthy$/, 'unhealthy'],
  [/^its health check fails /, 'check-failed'],
  [/^its health check passes again$/, 'check-passed'],
  [/^held out: /, 'flapping'],
  [/^(running, and up to date|running again|its container is running)$/, 'container-running'],
  [/^an earlier replacement did not finish$/, 'unfinished-replacement'],
  [/^scs stop$/, 'scs-stop'],
  [/^scs restart$/, 'scs-restart'],
  [/^scs drain$/, 'scs-drain'],
  [/^scs down$/, 'scs-down'],
  [/^removed from the stack$/, 'removed-from-stack'],
  [/^moved to /, 'moved'],
];

export function stepReason(step: Pick<Step, 'kind' | 'cause'>): StepReason {
  // A live update's cause is the move itself: `mysql → 10.0.0.5:3306`.
  if (step.kind === 'liveupdate') return 'endpoints-changed';
  return CAUSES.find(([pattern]) => pattern.test(step.cause))?.[1] ?? 'other';
}
