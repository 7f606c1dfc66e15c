// The agent's health checks of one service's instances (its container, and the next one of a
// start-first replacement): each instance is checked on its own timer, never twice at once, and its
// state kept by the pure machine of health.ts. A change of verdict asks the service's runner for a
// pass, which drops or provides it (reconcile.ts). One InstanceHealth per container, so that a
// service with replicas checks each of them the same way.

import type { ConsolaInstance } from 'consola';
import type { CompiledHealth } from '../manifest/compiled.ts';
import type { ContainerInfo } from './container-engine.ts';
import { type InstanceChecks, runOf } from './facts.ts';
import {
  type CheckOutcome,
  type CheckVerdict,
  describeHealth,
  type HealthState,
  healthyState,
  recordCheck,
  startingState,
  type Verdict,
  verdictOf,
} from './health.ts';

/** Containers of one instance checked at once, at most: its container and a next one, with room to spare. */
export const MAX_INSTANCES = 8;

export interface HealthChecksOptions {
  readonly health: CompiledHealth;
  readonly service: string;
  readonly logger: ConsolaInstance;
  readonly inspect: (id: string) => Promise<ContainerInfo | undefined>;
  /** One check of a running container. */
  readonly check: (info: ContainerInfo) => Promise<CheckOutcome>;
  /** Whether the agent already saw this run ready: an instance watched afresh is then healthy, not starting. */
  readonly seenReady: (run: string) => boolean;
  /** A verdict changed. */
  readonly changed: () => void;
}

export class HealthChecks implements InstanceChecks {
  private readonly instances = new Map<string, InstanceHealth>();
  private stopped = false;

  constructor(private readonly options: HealthChecksOptions) {}

  get health(): CompiledHealth {
    return this.options.health;
  }

  /** Starts checking a container, unless it is already. */
  watch(id: string): void {
    if (this.stopped || this.instances.has(id)) return;
    if (this.instances.size >= MAX_INSTANCES) {
      this.options.logger.warn(`${this.options.service}: already checking ${MAX_INSTANCES} containers; ${id.slice(0, 12)} is not checked`);
      return;
    }
    this.instances.set(id, new InstanceHealth(id, this.options, () => this.instances.delete(id)));
  }

  /** Checks only these containers from now on. */
  keepOnly(ids: ReadonlyArray<string | undefined>): void {
    for (const [id, instance] of this.instances) {
      if (ids.includes(id)) continue;
      instance.stop();
      this.instances.delete(id);
    }
  }

  /** What the checks of this run of a container say; undefined while none has been judged. */
  verdict(id: string, run: string): CheckVerdict | undefined {
    return this.instances.get(id)?.verdict(run);
  }

  stop(): void {
    this.stopped = true;
    this.keepOnly([]);
  }
}

class InstanceHealth {
  private run: string | undefined;
  private state: HealthState | undefined;
  private shown: Verdict | undefined;
  private timer: NodeJS.Timeout | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly id: string,
    private readonly options: HealthChecksOptions,
    private readonly gone: () => void,
  ) {
    void this.tick();
  }

  verdict(run: string): CheckVerdict | undefined {
    if (run !== this.run || !this.state) return undefined;
    const now = Date.now();
    return { verdict: verdictOf(this.state, now), text: describeHealth(this.state, now), recovered: this.state.recovered };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.holdTimer);
  }

  /** One check, then the next one an interval after this one began (sooner while it is starting). */
  private async tick(): Promise<void> {
    const began = Date.now();
    const { health, logger, service } = this.options;
    try {
      const info = await this.options.inspect(this.id);
      if (this.stopped) return;
      if (!info) {
        this.stop();
        this.gone();
        return;
      }
      if (info.running) await this.judge(info);
    } catch (error) {
      logger.debug(`${service}: health check of ${this.id.slice(0, 12)} not run: ${(error as Error).message}`);
    }
    if (this.stopped) return;
    const period = this.state?.state === 'starting' ? health.startIntervalMs : health.intervalMs;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, began + period - Date.now()));
  }

  private async judge(info: ContainerInfo): Promise<void> {
    const { health, logger, service } = this.options;
    const run = runOf(info);
    if (run !== this.run) {
      // A new run (created, or restarted) starts over; one the agent saw ready already passed once.
      const startedAt = Date.parse(info.startedAt);
      const since = Number.isNaN(startedAt) ? Date.now() : startedAt;
      this.run = run;
      this.state = this.options.seenReady(run) ? healthyState(since) : startingState(since);
    }
    const outcome = await this.options.check(info);
    if (this.stopped || run !== this.run || !this.state) return;
    const now = Date.now();
    const { state, flapped } = recordCheck(this.state, outcome, now, health);
    this.state = state;
    if (flapped !== undefined) {
      const s = (ms: number) => `${Math.round(ms / 100) / 10} s`;
      logger.warn(`${service}: health flapped ${flapped} times in ${s(health.flap.withinMs)}: held out for ${s(health.flap.holdMs)}`);
      clearTimeout(this.holdTimer);
      this.holdTimer = setTimeout(() => this.report(), health.flap.holdMs + 1);
    }
    this.report();
  }

  /** Tells the runner when the verdict is not what it last was. */
  private report(): void {
    if (this.stopped || !this.state) return;
    const verdict = verdictOf(this.state, Date.now());
    if (verdict === this.shown) return;
    const before = this.shown;
    this.shown = verdict;
    const { logger, service } = this.options;
    if (verdict === 'unhealthy') logger.warn(`${service}: ${describeHealth(this.state, Date.now())}`);
    else if (verdict === 'healthy' && before !== undefined && before !== 'starting') logger.info(`${service}: healthy again`);
    this.options.changed();
  }
}
