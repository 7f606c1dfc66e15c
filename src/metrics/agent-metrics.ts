// An agent's metrics (docs/observe.md lists them): its containers by state, read from the agent
// when Prometheus asks; plan steps, live updates and builds, counted as the agent tells its meter.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentMeter } from '../agent/meter.ts';
import type { StepKind } from '../agent/plan.ts';
import type { AgentState } from '../agent/state.ts';
import { DnsCounts } from '../dns/counts.ts';
import { dnsQueries, LATENCY_BUCKETS } from './exposition.ts';

/** A service's state, from the closed set: Docker's container states, or the agent's own word for no container. */
export const CONTAINER_STATES = [
  'created',
  'running',
  'paused',
  'restarting',
  'exited',
  'dead',
  'waiting',
  'stopped',
  'lost',
  'removed',
  'failed',
  'other',
] as const;
const DOCKER_STATES = new Set<string>(CONTAINER_STATES.slice(0, 6));

export const STEP_KINDS: readonly StepKind[] = [
  'provision',
  'attach',
  'create',
  'start',
  'ready',
  'provide',
  'liveupdate',
  'drop',
  'drain',
  'stop',
  'remove',
  'promote',
  'detach',
  'deprovision',
];

/** The state a service shows in the metrics: its container's, as Docker words it, or the agent's when there is none. */
export function containerState(service: AgentState['services'][number]): (typeof CONTAINER_STATES)[number] {
  const kind = service.statusKind;
  if (kind !== undefined && kind !== 'container') return kind;
  const word = service.status.split(/[\s(]/, 1)[0]!.toLowerCase();
  return DOCKER_STATES.has(word) ? (word as (typeof CONTAINER_STATES)[number]) : 'other';
}

export class AgentMetrics implements AgentMeter {
  readonly registry = new Registry();
  /** Handed to the host's DNS for the containers (src/hostdns/): counted on its hot path, read here. */
  readonly dnsCounts = new DnsCounts();
  private state: (() => AgentState) | undefined;
  private discoUp: (() => boolean) | undefined;
  private readonly steps: Counter<'kind' | 'result'>;
  private readonly liveUpdates: Histogram<'result'>;
  private readonly builds: Counter<'result'>;

  constructor() {
    const registers = [this.registry];
    const read = () => this.state?.();
    new Gauge({
      name: 'scs_agent_containers',
      help: "The stack's services on this agent, by the state of their container.",
      labelNames: ['state'],
      registers,
      collect() {
        const state = read();
        if (!state) return;
        const counts = new Map<string, number>(CONTAINER_STATES.map((each) => [each, 0]));
        for (const service of state.services) {
          const each = containerState(service);
          counts.set(each, counts.get(each)! + 1);
        }
        for (const [each, count] of counts) this.set({ state: each }, count);
      },
    });
    const discoUp = () => this.discoUp?.();
    new Gauge({
      name: 'scs_agent_disco_session_up',
      help: '1 while the agent is connected to disco with its session, else 0.',
      registers,
      collect() {
        const up = discoUp();
        if (up !== undefined) this.set(up ? 1 : 0);
      },
    });
    this.steps = new Counter({
      name: 'scs_agent_plan_steps_total',
      help: 'Plan steps carried out, by kind and result (ok, failed).',
      labelNames: ['kind', 'result'],
      registers,
    });
    for (const kind of STEP_KINDS) for (const result of ['ok', 'failed']) this.steps.inc({ kind, result }, 0);
    this.liveUpdates = new Histogram({
      name: 'scs_agent_live_update_duration_seconds',
      help: 'Live updates, by result (ok: the command exited 0), and how long each took.',
      labelNames: ['result'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    for (const result of ['ok', 'failed']) this.liveUpdates.zero({ result });
    this.builds = new Counter({
      name: 'scs_agent_builds_total',
      help: 'Image builds, by result (ok, failed).',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['ok', 'failed']) this.builds.inc({ result }, 0);
    dnsQueries(this.registry, this.dnsCounts);
  }

  /** What the gauges read: given once the agent and its disco client exist. */
  attach(state: () => AgentState, discoUp: () => boolean): void {
    this.state = state;
    this.discoUp = discoUp;
  }

  stepDone(kind: StepKind, ok: boolean): void {
    this.steps.inc({ kind, result: ok ? 'ok' : 'failed' });
  }

  liveUpdated(ok: boolean, seconds: number): void {
    this.liveUpdates.observe({ result: ok ? 'ok' : 'failed' }, seconds);
  }

  built(ok: boolean): void {
    this.builds.inc({ result: ok ? 'ok' : 'failed' });
  }
}
