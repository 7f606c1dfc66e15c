// What the agent tells its metrics as it works (src/metrics/agent-metrics.ts). Optional: an agent
// without an HTTP listener has no meter, and each call is skipped.

import type { StepKind } from './plan.ts';

export interface AgentMeter {
  /** A step of a plan was carried out, or failed. */
  stepDone(kind: StepKind, ok: boolean): void;
  /** A live update ran its command: whether it exited 0, and how long it took. */
  liveUpdated(ok: boolean, seconds: number): void;
  /** An image was built, or its build failed. */
  built(ok: boolean): void;
}
