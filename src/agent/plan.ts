// The steps the agent takes on a service, each with its cause, and their text form: the plan is
// what the log and `scs ps` show, and what the tests compare against expected text.
// A step carries as data all that the executor acts on; its cause is for people only.

export type StepKind =
  | 'provision'
  | 'attach'
  | 'create'
  | 'start'
  | 'ready'
  | 'provide'
  | 'liveupdate'
  | 'drop'
  | 'drain'
  | 'stop'
  | 'remove'
  | 'promote'
  | 'detach'
  | 'deprovision';

/** What a provision, attach, detach or deprovision step acts on: a volume of the service (by its name in the stack), or its network. */
export type Resource = { readonly volume: string } | { readonly network: string };

export interface Step {
  readonly kind: StepKind;
  /** Why the planner chose it, in words a user reads: "liveupdate of mysql failed (exit 1)". */
  readonly cause: string;
  /** For `liveupdate`: the required endpoint whose update runs. */
  readonly endpoint?: string;
  /** Acts on the next container, which a start-first replacement brings up beside the current one. */
  readonly next?: true;
  /** For `drain`: how long the old container keeps serving after its endpoints are dropped. */
  readonly ms?: number;
  /** For `create`: the container replaces one, so requirements it takes new values for were updated by a restart. */
  readonly replacing?: true;
  /** For provision, attach, detach and deprovision. */
  readonly resource?: Resource;
}

export const step = (kind: StepKind, cause: string, endpoint?: string): Step =>
  endpoint === undefined ? { kind, cause } : { kind, cause, endpoint };
export const nextStep = (kind: StepKind, cause: string): Step => ({ kind, cause, next: true });

/** `volume data`, `network aws-ec2-eni`. */
export const resourceName = (resource: Resource) => ('volume' in resource ? `volume ${resource.volume}` : `network ${resource.network}`);

/** One step as a line: `web: liveupdate http (http → 10.0.0.5:8080)`, `web: create next (...)`, `web: provision volume data (...)`. */
export function formatStep(service: string, { kind, cause, endpoint, next, ms, resource }: Step): string {
  const detail = `${next ? ' next' : ''}${resource ? ` ${resourceName(resource)}` : ''}${endpoint === undefined ? '' : ` ${endpoint}`}${ms === undefined ? '' : ` ${ms} ms`}`;
  return `${service}: ${kind}${detail} (${cause})`;
}

export function formatPlan(service: string, steps: readonly Step[]): string {
  return steps.map((s) => formatStep(service, s)).join('\n');
}
