// One runner per service: observe, plan, execute, and again until the plan is empty. Everything
// that happens to a service goes through its runner, one pass at a time, so a service never has
// two replacements in flight. Triggers that come while a pass is queued fold into it.

import type { ConsolaInstance } from 'consola';
import type { CompiledService } from '../manifest/compiled.ts';
import type { ContainerEngine } from './container-engine.ts';
import type { Executor } from './executor.ts';
import { newRequirement, type RequirementFacts, type ServiceFacts } from './facts.ts';
import { runCheck } from './health-check.ts';
import { HealthChecks } from './health-monitor.ts';
import type { AgentIdentity } from './identity.ts';
import { instanceNameOf, instanceService } from './instances.ts';
import { desiredService, observeService, recordObservation } from './observed.ts';
import { formatStep, resourceName, type Step } from './plan.ts';
import { converge, type Mode, type ObservedService, restart, teardown } from './reconcile.ts';
import { desiredResources } from './resources.ts';
import { addresses, type NetworkAttachment } from './spec.ts';
import { urgency } from './urgency.ts';

/** A plan that still has steps after this many passes is not converging: stop and say so. */
const MAX_PASSES = 8;

export interface RunnerOptions {
  readonly engine: ContainerEngine;
  readonly executor: Executor;
  readonly identity: AgentIdentity;
  readonly attachment?: NetworkAttachment;
  readonly logger: ConsolaInstance;
  /** Quiet time that folds a burst of changes into one pass, when the service still works meanwhile. */
  readonly debounceMs: number;
  /** How long an empty set is held back, for a provider that comes straight back. */
  readonly holdMs: number;
  /** Called after every step, so the state file follows. */
  readonly changed: () => void;
  /** Told of every step run, and whether it worked, for disco's events. */
  readonly stepped?: (step: Step, ok: boolean, error?: string) => void;
}

export class ServiceRunner {
  private chain: Promise<void> = Promise.resolve();
  private queued = false;
  private debounceTimer: NodeJS.Timeout | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    readonly facts: ServiceFacts,
    private readonly options: RunnerOptions,
  ) {
    this.facts.checks = this.healthChecks();
  }

  /** The name of the service it runs an instance of. */
  get service(): string {
    return this.facts.service.name;
  }

  /** Which instance of its service it runs: 1…N (instances.ts). */
  get instance(): number {
    return this.facts.service.instance ?? 1;
  }

  /** `web`, or `web-2` for instance 2: how its lines name it. */
  get name(): string {
    return instanceNameOf(this.facts.service);
  }

  /** Brings the service to what it is compiled to (`scs up`); rejects with the reason when it cannot. */
  start(): Promise<void> {
    this.facts.wanted = 'running';
    return this.serially(() => this.converge('start'));
  }

  /** `scs stop`: drops its endpoints and stops its container, which is kept. */
  pause(): Promise<void> {
    this.facts.wanted = 'stopped';
    return this.serially(() => this.converge('start'));
  }

  /** `scs restart`: the same container, stopped and started. */
  restart(): Promise<void> {
    this.facts.wanted = 'running';
    return this.serially(async () => {
      const observed = await this.observe('start');
      await this.runSteps(restart(this.desired(), observed), 'start');
      await this.converge('start');
    });
  }

  /**
   * Takes the service as newly compiled; requirements whose name, filter and order are unchanged keep
   * their watch (the order is the watch's). Returns the watches no longer needed, for the caller to close.
   */
  update(service: CompiledService): RequirementFacts[] {
    const old = this.facts.requires;
    const same = (a: RequirementFacts['compiled'], b: RequirementFacts['compiled']) =>
      a.name === b.name && JSON.stringify(a.filter) === JSON.stringify(b.filter) && a.order === b.order;
    this.facts.requires = service.requires.map((requirement) => {
      const kept = old.find((r) => r.compiled.endpoint === requirement.endpoint && same(r.compiled, requirement));
      if (!kept) return newRequirement(requirement);
      kept.compiled = requirement;
      return kept;
    });
    const checkChanged = JSON.stringify(service.health) !== JSON.stringify(this.facts.service.health);
    this.facts.service = instanceService(service, this.instance);
    // A changed check is not a changed container (config-hash.ts): the same instances are checked anew.
    if (checkChanged) {
      this.checks?.stop();
      this.facts.checks = this.healthChecks();
    }
    return old.filter((r) => !this.facts.requires.includes(r));
  }

  /** A drain of it here came or went (`scs drain`, `scs undrain`): look again at once. */
  setDrained(drained: boolean): void {
    this.facts.drained = drained;
    this.options.changed();
    this.trigger(0);
  }

  /** Docker said something about its container: look again at once (a death is dropped without delay). */
  containerChanged(): void {
    this.trigger(0);
  }

  /** Disco changed what it requires: when to look again is urgency.ts's rule. */
  requirementsChanged(): void {
    const now = Date.now();
    let soonest: 'now' | 'debounce' | undefined;
    let holdUntil = Infinity;
    for (const requirement of this.facts.requires) {
      const current = addresses(requirement.watch?.endpoints ?? []);
      if (current.length === 0) requirement.emptiedAt ??= now;
      else {
        requirement.emptiedAt = undefined;
        requirement.lastSeen = requirement.watch!.endpoints;
      }
      if (current.join(';') === requirement.applied.join(';')) continue;
      const u = urgency({ applied: requirement.applied, current, emptiedAt: requirement.emptiedAt }, this.options.holdMs);
      if (u.kind === 'hold') holdUntil = Math.min(holdUntil, u.untilMs);
      else if (u.kind === 'now' || !soonest) soonest = u.kind;
    }
    if (soonest) this.trigger(soonest === 'now' ? 0 : this.options.debounceMs);
    if (holdUntil !== Infinity && !this.stopped) {
      clearTimeout(this.holdTimer);
      this.holdTimer = setTimeout(() => this.trigger(0), Math.max(0, holdUntil - now) + 1);
    }
  }

  /** No more passes; resolves once the one in flight, if any, is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.debounceTimer);
    clearTimeout(this.holdTimer);
    this.checks?.stop();
    await this.chain;
  }

  /** Drops what it provides, then stops and removes its container; on `scs down`, lets go of its volumes and network too. */
  async teardown(cause?: string, release?: 'detach' | 'deprovision'): Promise<void> {
    await this.stop();
    // Draining helps only when dependents have another provider to move to: a relocation, not a plain down.
    const drainMs = (await this.options.executor.othersProvide(this.facts)) ? this.facts.service.replace.drainMs : 0;
    const resources = desiredResources(this.facts.service);
    await this.runSteps(teardown(await this.observe('supervise'), { cause, drainMs, release, resources }), 'start');
    this.facts.status = { kind: 'removed' };
    this.options.changed();
  }

  private get checks(): HealthChecks | undefined {
    return this.facts.checks instanceof HealthChecks ? this.facts.checks : undefined;
  }

  /** The stack file's health check, run on its instances (health-monitor.ts); none when it declares none. */
  private healthChecks(): HealthChecks | undefined {
    const { health } = this.facts.service;
    if (!health || health.probe.kind === 'none' || this.stopped) return undefined;
    const { engine, executor, logger } = this.options;
    const probe = health.probe;
    return new HealthChecks({
      health,
      service: instanceNameOf(this.facts.service),
      logger,
      inspect: (id) => engine.inspect(id),
      check: (info) =>
        runCheck(
          probe,
          { engine, id: info.id, address: (endpoint) => executor.providedAt(this.facts.service, info, endpoint) },
          health.timeoutMs,
        ),
      seenReady: (run) => this.facts.readyRun === run || this.facts.next?.readyRun === run,
      changed: () => this.containerChanged(),
    });
  }

  /** After a pass: its instances are checked, and nothing else is. */
  private checkInstances(): void {
    const { checks, facts } = this;
    if (!checks) return;
    if (facts.container) checks.watch(facts.container);
    checks.keepOnly([facts.container, facts.next?.id]);
  }

  private trigger(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.debounceTimer);
    if (delayMs <= 0) this.enqueue();
    else this.debounceTimer = setTimeout(() => this.enqueue(), delayMs);
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

  private desired() {
    return desiredService(this.facts, this.options.identity, this.options.holdMs, Date.now(), this.options.attachment);
  }

  /** What is, with what the look found put on record first: the steps planned from it act on that. */
  private async observe(mode: Mode): Promise<ObservedService> {
    const { observed, learned } = await observeService(this.options.engine, this.options.identity, this.facts, mode, this.options.logger);
    recordObservation(this.facts, learned);
    return observed;
  }

  private async converge(mode: Mode): Promise<void> {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      if (this.stopped) return;
      const observed = await this.observe(mode);
      const steps = converge(this.desired(), observed, mode);
      if (steps.length === 0) {
        this.checkInstances();
        return this.options.changed(); // What it observed goes on record.
      }
      const done = await this.runSteps(steps, mode);
      this.checkInstances();
      if (!done) return;
    }
    this.options.logger.warn(`${this.name}: still not as planned after ${MAX_PASSES} passes; waiting for the next change`);
  }

  /** Runs a plan in order. Returns false when a step failed while supervising (logged, recorded). */
  private async runSteps(steps: readonly Step[], mode: Mode): Promise<boolean> {
    const { executor, logger, changed } = this.options;
    for (const step of steps) {
      logger.debug(formatStep(this.name, step));
      const at = new Date().toISOString();
      try {
        await executor.execute(this.facts, step);
        this.facts.lastStep = { at, step: step.kind, cause: step.cause, ok: true };
        this.options.stepped?.(step, true);
      } catch (error) {
        const message = (error as Error).message;
        this.facts.lastStep = { at, step: step.kind, cause: step.cause, ok: false, error: message };
        this.options.stepped?.(step, false, message);
        changed();
        // What cannot be let go of (EC2 unreachable) is said, and the rest still goes: scs down tries it again.
        if (step.kind === 'detach' || step.kind === 'deprovision') {
          logger.error(`${this.name}: could not release ${step.resource ? resourceName(step.resource) : 'it'}: ${message}`);
          continue;
        }
        if (mode === 'start') throw error;
        logger.error(`${this.name}: ${step.kind} failed (${step.cause}): ${message}`);
        return false;
      }
      changed();
    }
    return true;
  }
}
