// What the agent knows of one service beyond what Docker shows: what it registered with disco,
// which run of the container it saw ready, and what each requirement was last configured with.
// The runner turns these and Docker's view into an ObservedService for the planner.

import type { Endpoint, ProvisionHandle, Watch } from '../client/client.ts';
import type { CompiledRequire, CompiledService } from '../manifest/compiled.ts';
import type { ContainerInfo } from './container-engine.ts';
import type { CheckVerdict } from './health.ts';
import { addresses } from './spec.ts';
import type { ServiceRecord, UpdateRecord } from './state.ts';
import { holdingEmpty } from './urgency.ts';

export interface RequirementFacts {
  compiled: CompiledRequire;
  watch: Watch | undefined;
  /** What the current run of the container was configured with. */
  applied: string[];
  failed: { endpoints: string[]; reason: string } | undefined;
  lastUpdate: UpdateRecord | undefined;
  /** When disco's set for it became empty, while it is (see urgency.ts). */
  emptiedAt: number | undefined;
  /** The last endpoints disco had for it before they went away: what a hold keeps in place. */
  lastSeen: readonly Endpoint[];
}

export interface StepRecord {
  readonly at: string;
  readonly step: string;
  readonly cause: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** The agent's own health checks of a service's instances (health-monitor.ts), when its stack file declares one. */
export interface InstanceChecks {
  /** Starts checking a container, unless it is already. */
  watch(id: string): void;
  /** What the checks of this run of a container say; undefined while none has been judged. */
  verdict(id: string, run: string): CheckVerdict | undefined;
}

export interface ServiceFacts {
  /** Replaced when `scs up` brings a newly compiled stack to a running agent. */
  service: CompiledService;
  /** `stopped` after `scs stop`, until `scs start` or `scs up`. */
  wanted: 'running' | 'stopped';
  /** A drain in disco covers its instance here (`scs drain`): it runs, its endpoints not provided. */
  drained: boolean;
  container: string | undefined;
  /** The run (`id@startedAt`) that `applied` belongs to. */
  run: string | undefined;
  readyRun: string | undefined;
  /** A run that followed an earlier run of the same container: it restarted (Docker, or scs start). */
  restartedRun?: string | undefined;
  /** What is registered (see provisionKey); undefined when nothing is. */
  providedFor: string | undefined;
  provisions: ProvisionHandle[];
  status: ServiceStatus;
  requires: RequirementFacts[];
  /** The container a start-first replacement brings up beside the current one, until it is promoted. */
  next: NextContainer | undefined;
  lastStep: StepRecord | undefined;
  /** Its health checks, while the runner runs them (the stack file's `health:`). */
  checks?: InstanceChecks | undefined;
}

/** What is known of its container: Docker's state of it, or why there is none. */
export type ServiceStatus =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'container'; readonly docker: ContainerInfo['status']; readonly health: string | undefined }
  | { readonly kind: 'lost' }
  | { readonly kind: 'removed' }
  /** It could not be started here (a move to this host): `why` says what failed. */
  | { readonly kind: 'failed'; readonly why: string };

/**
 * Its status for `scs ps`, as words and as data. A container that exited after `scs stop` is `stopped`:
 * the agent knows it from one that died. A drained one says so: `running (healthy, drained)`.
 */
export function statusRecord(facts: ServiceFacts): Pick<ServiceRecord, 'status' | 'statusKind' | 'health'> {
  const { status, wanted, drained } = facts;
  switch (status.kind) {
    case 'container': {
      if (wanted === 'stopped' && status.docker === 'exited') return { statusKind: 'stopped', status: 'stopped (scs stop)' };
      const checked = checkedHealth(facts);
      const health = facts.service.health ? checked?.text : status.health;
      const notes = [health, drained ? 'drained' : undefined].filter(Boolean);
      return {
        statusKind: status.kind,
        status: `${status.docker}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`,
        ...(checked && status.docker === 'running' ? { health: checked.text } : {}),
      };
    }
    case 'lost':
      return { statusKind: status.kind, status: 'lost: removed outside scs' };
    case 'failed':
      return { statusKind: status.kind, status: `failed: ${status.why}` };
    default:
      return { statusKind: status.kind, status: status.kind };
  }
}

/** What the agent's own checks say of its current container's run, when it runs them and they have judged it. */
export function checkedHealth(facts: Readonly<ServiceFacts>): CheckVerdict | undefined {
  return facts.container && facts.run ? facts.checks?.verdict(facts.container, facts.run) : undefined;
}

export interface NextContainer {
  readonly id: string;
  readyRun: string | undefined;
  providedFor: string | undefined;
  provisions: ProvisionHandle[];
}

/** The name a next container has until it is promoted. */
export const nextName = (name: string) => `${name}-next`;

export function newFacts(service: CompiledService): ServiceFacts {
  return {
    service,
    wanted: 'running',
    drained: false,
    container: undefined,
    run: undefined,
    readyRun: undefined,
    providedFor: undefined,
    provisions: [],
    status: { kind: 'waiting' },
    requires: service.requires.map(newRequirement),
    next: undefined,
    lastStep: undefined,
  };
}

export const newRequirement = (compiled: CompiledRequire): RequirementFacts => ({
  compiled,
  watch: undefined,
  applied: [],
  failed: undefined,
  lastUpdate: undefined,
  emptiedAt: undefined,
  lastSeen: [],
});

export const runOf = (container: { id: string; startedAt: string }) => `${container.id}@${container.startedAt}`;

/**
 * What registered endpoints stand for: one run of the container, with the compiled endpoints and
 * attributes then. A restart, or new attributes, make them stale: they are dropped and provided again.
 */
export const provisionKey = (run: string, service: CompiledService) => `${run} ${JSON.stringify(service.provides)}`;

/**
 * What each requirement should be configured with now: what disco says, except that an empty set
 * still held back (see urgency.ts) keeps the last endpoints seen, in a new container as in a live update.
 */
export function wantedEndpoints(facts: ServiceFacts, holdMs: number, nowMs = Date.now()): Map<string, readonly Endpoint[]> {
  return new Map(
    facts.requires.map((r) => {
      const current = r.watch?.endpoints ?? [];
      const held = holdingEmpty({ applied: r.applied, current: addresses(current), emptiedAt: r.emptiedAt }, holdMs, nowMs);
      return [r.compiled.endpoint, held ? r.lastSeen : current] as const;
    }),
  );
}
