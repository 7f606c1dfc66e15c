// One runner per service: observe, plan, execute, and again until the plan is empty. Everything
// that happens to a service goes through its runner, one pass at a time, so a service never has
// two replacements in flight. Triggers that come while a pass is queued fold into it.

import type { ConsolaInstance } from 'consola';
import { LABEL } from '../docker/labels.ts';
import type { ContainerEngine, ContainerInfo } from './container-engine.ts';
import type { Executor } from './executor.ts';
import { currentEndpoints, runOf, type ServiceFacts } from './facts.ts';
import { formatStep, type Step } from './plan.ts';
import { converge, teardown, type DesiredService, type Mode, type ObservedService } from './reconcile.ts';
import { addresses, appliedFromEnv, containerSpec } from './spec.ts';

/** A plan that still has steps after this many passes is not converging: stop and say so. */
const MAX_PASSES = 8;

export interface RunnerOptions {
  readonly engine: ContainerEngine;
  readonly executor: Executor;
  readonly labels: Record<string, string>;
  readonly logger: ConsolaInstance;
  /** Called after every step, so the state file follows. */
  readonly changed: () => void;
}

export class ServiceRunner {
  private chain: Promise<void> = Promise.resolve();
  private queued = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    readonly facts: ServiceFacts,
    private readonly options: RunnerOptions,
  ) {}

  get role(): string {
    return this.facts.plan.role;
  }

  /** Brings the service up; rejects with the reason when it cannot. */
  start(): Promise<void> {
    return this.serially(() => this.converge('start'));
  }

  /** Asks for a supervising pass, now or after `debounceMs` of quiet (a burst folds into one pass). */
  trigger(debounceMs = 0): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (debounceMs <= 0) return this.enqueue();
    this.timer = setTimeout(() => this.enqueue(), debounceMs);
  }

  /** No more passes; resolves once the one in flight, if any, is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.chain;
  }

  /** Drops what it provides, then stops and removes its container. */
  async teardown(): Promise<void> {
    await this.stop();
    await this.runSteps(teardown(await this.observe('supervise')), 'start');
    this.facts.status = 'removed';
    this.options.changed();
  }

  private enqueue(): void {
    if (this.queued || this.stopped) return;
    this.queued = true;
    void this.serially(() => {
      this.queued = false;
      return this.converge('supervise');
    }).catch(() => {}); // A supervising pass reports its own failures.
  }

  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => {});
    return run;
  }

  private async converge(mode: Mode): Promise<void> {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      if (this.stopped) return;
      const steps = converge(this.desired(), await this.observe(mode), mode);
      if (steps.length === 0) return this.options.changed(); // What it observed goes on record.
      if (!(await this.runSteps(steps, mode))) return;
    }
    this.options.logger.warn(`${this.role}: still not as planned after ${MAX_PASSES} passes; waiting for the next change`);
  }

  /** Runs a plan in order. Returns false when a step failed while supervising (logged, recorded). */
  private async runSteps(steps: readonly Step[], mode: Mode): Promise<boolean> {
    const { executor, logger, changed } = this.options;
    for (const step of steps) {
      logger.debug(formatStep(this.role, step));
      const at = new Date().toISOString();
      try {
        await executor.execute(this.facts, step);
        this.facts.lastStep = { at, step: step.kind, cause: step.cause, ok: true };
      } catch (error) {
        const message = (error as Error).message;
        this.facts.lastStep = { at, step: step.kind, cause: step.cause, ok: false, error: message };
        changed();
        if (mode === 'start') throw error;
        logger.error(`${this.role}: ${step.kind} failed (${step.cause}): ${message}`);
        return false;
      }
      changed();
    }
    return true;
  }

  private desired(): DesiredService {
    const { plan } = this.facts;
    const endpoints = currentEndpoints(this.facts);
    const spec = containerSpec(plan, this.options.labels, endpoints);
    return {
      configHash: spec.labels[LABEL.config]!,
      provides: plan.provides.length > 0,
      requires: plan.requires.map((r) => ({ endpoint: r.endpoint, current: addresses(endpoints.get(r.endpoint) ?? []), liveupdate: r.liveupdate !== undefined })),
    };
  }

  /** Docker's view of the container, joined with what the agent itself knows of it. */
  private async observe(mode: Mode): Promise<ObservedService> {
    const { engine, labels } = this.options;
    const facts = this.facts;
    let info: ContainerInfo | undefined;
    if (facts.container) info = await engine.inspect(facts.container);
    else if (mode === 'start') {
      // A container left by an earlier agent of this stack is taken over, or replaced.
      const [found] = await engine.list({ ...labels, [LABEL.role]: facts.plan.role });
      if (found) info = await engine.inspect(found.id);
    }
    facts.container = info?.id;
    const run = info ? runOf(info) : undefined;
    if (info && run !== facts.run) {
      // A new run starts from the environment it was created with, whatever live updates did before.
      facts.run = run;
      for (const requirement of facts.requires) {
        requirement.applied = appliedFromEnv(info.env, requirement.plan.endpoint);
        requirement.failed = undefined;
      }
    }
    facts.status = info ? `${info.status}${info.health ? ` (${info.health})` : ''}` : facts.status === 'waiting' ? 'waiting' : 'gone';
    return {
      container: info && { id: info.id, run: run!, configHash: info.labels[LABEL.config], running: info.running, health: info.health, exitCode: info.exitCode },
      ready: run !== undefined && facts.readyRun === run,
      provisions: facts.providedRun === undefined ? 'none' : facts.providedRun === run ? 'current' : 'stale',
      requires: facts.requires.map((r) => ({ endpoint: r.plan.endpoint, applied: r.applied, failed: r.failed })),
    };
  }
}
