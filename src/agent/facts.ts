// What the agent knows of one service beyond what Docker shows: what it registered with disco,
// which run of the container it saw ready, and what each requirement was last configured with.
// The runner turns these and Docker's view into an ObservedService for the planner.

import type { ProvisionHandle, Watch } from '../client/client.ts';
import type { PlanRequire, ServicePlan } from '../manifest/compile.ts';
import type { UpdateRecord } from './state.ts';

export interface RequirementFacts {
  readonly plan: PlanRequire;
  watch: Watch | undefined;
  /** What the current run of the container was configured with. */
  applied: string[];
  failed: { endpoints: string[]; reason: string } | undefined;
  lastUpdate: UpdateRecord | undefined;
}

export interface StepRecord {
  readonly at: string;
  readonly step: string;
  readonly cause: string;
  readonly ok: boolean;
  readonly error?: string;
}

export interface ServiceFacts {
  readonly plan: ServicePlan;
  container: string | undefined;
  /** The run (`id@startedAt`) that `applied` belongs to. */
  run: string | undefined;
  readyRun: string | undefined;
  /** The run whose endpoints are registered; undefined when nothing is. */
  providedRun: string | undefined;
  provisions: ProvisionHandle[];
  status: string;
  readonly requires: RequirementFacts[];
  lastStep: StepRecord | undefined;
}

export function newFacts(plan: ServicePlan): ServiceFacts {
  return {
    plan,
    container: undefined,
    run: undefined,
    readyRun: undefined,
    providedRun: undefined,
    provisions: [],
    status: 'waiting',
    requires: plan.requires.map((requirement) => ({ plan: requirement, watch: undefined, applied: [], failed: undefined, lastUpdate: undefined })),
    lastStep: undefined,
  };
}

export const runOf = (container: { id: string; startedAt: string }) => `${container.id}@${container.startedAt}`;

export function currentEndpoints(facts: ServiceFacts) {
  return new Map(facts.requires.map((r) => [r.plan.endpoint, r.watch?.endpoints ?? []] as const));
}
