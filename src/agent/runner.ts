// One runner per service: observe, plan, execute, and again until the plan is empty. Everything
// that happens to a service goes through its runner, one pass at a time, so a service never has
// two replacements in flight. Triggers that come while a pass is queued fold into it.

import type { ConsolaInstance } from 'consola';
import type { ContainerEngine } from './container-engine.ts';
import type { Executor } from './executor.ts';
import type { ServiceFacts } from './facts.ts';
import { desiredService, observeService } from './observed.ts';
import { formatStep, type Step } from './plan.ts';
import { converge, teardown, type Mode } from './reconcile.ts';

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
    await this.runSteps(teardown(await observeService(this.options.engine, this.options.labels, this.facts, 'supervise')), 'start');
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
      const steps = converge(desiredService(this.facts, this.options.labels), await observeService(this.options.engine, this.options.labels, this.facts, mode), mode);
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
}
