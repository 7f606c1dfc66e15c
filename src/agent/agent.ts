// The agent brings a compiled stack up and keeps it connected. Services start in dependency order, each
// once what it requires is there. Every change (a required endpoint moves, Docker reports a container
// died or changed health) asks the runner of that instance (one per instance, instances.ts) for a pass:
// it observes, plans (reconcile.ts) and executes (executor.ts) until what runs matches what is compiled.
// A running agent also takes a newly compiled stack (`scs up` again) and `stop`, `start` and `restart`.

import { serviceLabelOf } from '../docker/labels.ts';
import type { LocalEndpoint } from '../hostdns/local-view.ts';
import type { CompiledService, CompiledStack } from '../manifest/compiled.ts';
import type { MemberService } from '../protocol/member.ts';
import { formatTarget } from '../protocol/placement.ts';
import type { AgentOptions } from './agent-options.ts';
import { agentState } from './agent-state.ts';
import type { ContainerEvent, ContainerSummary } from './container-engine.ts';
import { Executor } from './executor.ts';
import { newFacts } from './facts.ts';
import { type AgentIdentity, hostLabel, ownerLabels, projectName } from './identity.ts';
import { instanceOfLabels, instanceService } from './instances.ts';
import { InstancesMine, leftOver, namedRunners, sameInstances } from './instances-mine.ts';
import { memberService } from './member-record.ts';
import { Moves } from './moves.ts';
import { watchRequirements } from './requirement-watches.ts';
import { ServiceRunner } from './runner.ts';
import { type AgentState, ownProcess, writeState } from './state.ts';
import { stateFolder } from './state-folder.ts';
import { WaitTimeoutError } from './wait-timeout.ts';
import { settlesWithin } from './within.ts';

export const DEFAULT_HOLD_MS = 1000;

export class Agent {
  private readonly runners: ServiceRunner[] = [];
  private readonly executor: Executor;
  private readonly identity: AgentIdentity;
  private only: string[];
  /** The services placed on this host, when it reads placement. */
  private here: Set<string> | undefined;
  private readonly moves: Moves;
  private readonly mine: InstancesMine;
  /** What it follows once up (Docker's events, placement, counts, the members of a spread), each stopped by `down` or `leave`. */
  private follows: Array<() => void> = [];
  private phase: AgentState['phase'] = 'starting';
  private error: string | undefined;
  private timedOut = false;
  /** Requests from the CLI (a newly compiled stack, stop, start, restart) are taken one at a time. */
  private requests: Promise<unknown> = Promise.resolve();
  /** Recorded in the state file: `scs down` signals the PID only while it is still this process. */
  private readonly self = ownProcess();

  constructor(
    private compiled: CompiledStack,
    private readonly options: AgentOptions,
  ) {
    this.identity = {
      stack: compiled.stack,
      environment: compiled.environment,
      project: options.project ?? projectName(),
      host: hostLabel(),
      ...(options.stackId ? { stackId: options.stackId } : {}),
    };
    this.only = [...(options.only ?? [])];
    this.executor = new Executor({
      ...options,
      holdMs: options.holdMs ?? DEFAULT_HOLD_MS,
      discovery: options.client,
      identity: this.identity,
    });
    this.mine = new InstancesMine(this.identity.host, options.instances, options.spread);
    this.moves = new Moves({
      executor: this.executor,
      logger: options.logger,
      waitTimeoutMs: options.waitTimeoutMs,
      placedHere: (service, instance) => this.runsHere(service, instance),
      heldElsewhere: (service) => options.placement?.board.heldElsewhere(service) ?? Promise.resolve(false),
      instancesHere: (service) => this.runners.filter((runner) => runner.service === service).map((runner) => runner.facts),
      retire: (runner, cause) =>
        this.oneAtATime(async () => {
          if (this.runsHere(runner.service, runner.instance) || !this.runners.includes(runner)) return;
          await this.retire(runner, cause, 'detach');
          this.runners.splice(this.runners.indexOf(runner), 1);
          this.save();
        }),
    });
  }

  up(): Promise<void> {
    return this.oneAtATime(() => this.bringUp());
  }

  private async bringUp(): Promise<void> {
    this.follows.push(await this.options.engine.events(ownerLabels(this.identity), (event) => this.onEvent(event)));
    try {
      const placement = this.options.placement;
      if (placement) {
        this.here = await placement.settle(this.chosen(this.compiled), { files: true });
        this.follows.push(placement.board.onChange(() => this.placementChanged()));
      }
      await this.options.instances?.setFromFiles(this.chosen(this.compiled));
      const instances = this.options.instances?.follow(
        () => this.runners,
        () => this.countsChanged(),
      );
      await this.options.spread?.ready(this.selected(this.compiled));
      const spread = this.options.spread?.onChange(() => this.countsChanged());
      for (const stop of [instances, spread]) if (stop) this.follows.push(stop);
      const found = await this.options.engine.list(ownerLabels(this.identity));
      for (const service of this.selected(this.compiled)) await this.startInstances(service, { found });
      this.phase = 'running';
      this.save();
    } catch (error) {
      this.phase = 'failed';
      this.error = (error as Error).message;
      this.timedOut = error instanceof WaitTimeoutError;
      this.save();
      throw error;
    }
  }

  /**
   * `scs up` against a running agent: services new to the stack start, services gone from it are
   * dropped and removed, changed ones are replaced, the others are left alone. Naming services
   * converges those alone, and adds them to what this agent runs.
   */
  apply(compiled: CompiledStack, names: readonly string[] = []): Promise<void> {
    return this.oneAtATime(async () => {
      const placement = this.options.placement;
      if (placement) this.here = await placement.settle(this.chosen(compiled, names), { files: true, named: names });
      await this.options.instances?.setFromFiles(this.chosen(compiled, names));
      if (this.only.length > 0 && names.length > 0) this.only = [...new Set([...this.only, ...names])];
      this.compiled = compiled;
      const wanted = this.selected(compiled);
      await this.options.spread?.ready(wanted);
      if (names.length === 0) {
        for (const runner of [...this.runners].reverse()) {
          if (wanted.some((service) => service.name === runner.service)) continue;
          // Still in the stack, placed elsewhere: it leaves as a move does, once the new host serves it.
          if (compiled.services.some((service) => service.name === runner.service)) {
            this.moveAway(runner);
            continue;
          }
          await this.retire(runner, 'removed from the stack');
          this.runners.splice(this.runners.indexOf(runner), 1);
        }
      }
      for (const service of this.targets(compiled, names)) {
        if (this.here?.has(service.name) === false && this.runners.some((r) => r.service === service.name)) continue;
        await this.startInstances(service);
      }
      this.save();
    });
  }

  /** `scs stop`, `start`, `restart` of the services named; none named means every one this agent runs. */
  control(verb: 'stop' | 'start' | 'restart', names: readonly string[]): Promise<void> {
    return this.oneAtATime(async () => {
      const runners = namedRunners(this.runners, names);
      for (const runner of verb === 'stop' ? [...runners].reverse() : runners) {
        if (verb === 'stop') await runner.pause();
        else if (verb === 'start') await runner.start();
        else await runner.restart();
      }
    });
  }

  /** Stops in reverse order, each service's provisions dropped before its container stops. */
  async down({ volumes = false } = {}): Promise<void> {
    // A failed start stays on record as failed, with its reason, for `scs up -d` to report.
    const failed = this.phase === 'failed';
    if (!failed) this.phase = 'stopping';
    this.save();
    const { engine, logger } = this.options;
    // Each service's plan ends with its volumes and network let go of (an EBS volume unmounted and detached), or deleted.
    for (const runner of [...this.runners].reverse()) await this.retire(runner, undefined, volumes ? 'deprovision' : 'detach');
    this.unfollow();
    // A network holds no data: like Compose, down removes it, unless containers still use it.
    const network = this.options.attachment?.network;
    if (network && (await engine.removeNetwork(network))) logger.info(`removed network ${network}`);
    if (!failed) this.phase = 'stopped';
    this.save();
  }

  /**
   * Hands over to the agent after it: stops watching Docker and planning, and touches nothing. Its
   * containers run on, and their endpoints stay with the disco session, which the next agent resumes.
   */
  leave(): void {
    this.unfollow();
    // A pass under way is not waited for: the process ends, as a killed one does, and its successor plans afresh.
    for (const runner of this.runners) void runner.stop();
  }

  /**
   * The services `apply(compiled, names)` brings up or replaces, in start order: naming services touches
   * those alone, as Compose's `up web` does; naming none converges all that this agent runs.
   */
  targets(compiled: CompiledStack, names: readonly string[]): CompiledService[] {
    return names.length > 0
      ? compiled.services.filter((service) => names.includes(service.name) && this.here?.has(service.name) !== false)
      : this.selected(compiled);
  }

  /** The services this agent runs, in start order: those it was given, and of those the ones placed on it. */
  private selected(compiled: CompiledStack): CompiledService[] {
    return this.chosen(compiled).filter((service) => this.here?.has(service.name) ?? true);
  }

  /** The services it was given (`scs up web` adds web), wherever placed, and those moved to its host by name, whatever given. */
  private chosen(compiled: CompiledStack, names: readonly string[] = []): CompiledService[] {
    if (this.only.length === 0) return compiled.services;
    const only = [...this.only, ...names, ...(this.options.placement?.namedHere(compiled.services) ?? [])];
    return compiled.services.filter((service) => only.includes(service.name));
  }

  /**
   * Disco's placement changed: services placed elsewhere now leave (once the new host serves them,
   * or at once when their data must follow), and those placed here now start (once the old host has
   * let go of their data, for one that has some).
   */
  private placementChanged(): void {
    const placement = this.options.placement;
    if (!placement) return;
    this.oneAtATime(async () => {
      if (this.phase !== 'running') return;
      this.here = await placement.settle(this.chosen(this.compiled));
      for (const runner of [...this.runners].reverse()) if (!this.here.has(runner.service)) this.moveAway(runner);
      for (const service of this.selected(this.compiled)) {
        if (this.runners.some((runner) => runner.service === service.name)) continue;
        if (!(await this.moves.canStart(service))) continue;
        try {
          await this.options.prepare?.(service);
          await this.startInstances(service);
        } catch (error) {
          // Said in its member record, where `scs move` sees it and places it back where it was.
          const why = (error as Error).message;
          this.options.logger.warn(`${service.name}: placed here, but it could not start: ${why}`);
          const failed = this.runners.find((runner) => runner.service === service.name && runner.facts.status.kind !== 'container');
          if (failed) failed.facts.status = { kind: 'failed', why: why.slice(0, 200) };
        }
      }
      this.save();
    }).catch((error: Error) => this.options.logger.warn(`following the new placement: ${error.message}`));
  }

  /** A service placed elsewhere leaves, in its own time (moves.ts). */
  private moveAway(runner: ServiceRunner): void {
    const { stack, environment } = this.identity;
    const target = this.options.placement?.board.current().get(`${runner.service}.${stack}.${environment}`)?.target;
    this.moves.away(runner, `moved to ${target ? formatTarget(target) : 'another host'}`);
  }

  /** Whether `service` is placed on this host, and with `instance`, whether that instance of it runs here. */
  private runsHere(service: string, instance?: number): boolean {
    const compiled = this.compiled.services.find((each) => each.name === service);
    return this.here?.has(service) !== false && (instance === undefined || !compiled || this.mine.of(compiled).includes(instance));
  }

  private unfollow(): void {
    for (const stop of this.follows.splice(0)) stop();
    this.moves.close();
  }

  private oneAtATime<T>(task: () => Promise<T>): Promise<T> {
    const run = this.requests.then(task);
    this.requests = run.catch(() => {});
    return run;
  }

  private addRunner(service: CompiledService): ServiceRunner {
    const { engine, logger, debounceMs, holdMs = DEFAULT_HOLD_MS } = this.options;
    const drained = this.options.instances?.drainedHere(service.name, service.instance ?? 1) ?? false;
    const runner = new ServiceRunner(
      { ...newFacts(service), drained },
      {
        engine,
        executor: this.executor,
        identity: this.identity,
        ...(this.options.attachment ? { attachment: this.options.attachment } : {}),
        logger,
        debounceMs,
        holdMs,
        changed: () => this.save(),
        stepped: (step, ok, error) => this.options.onStep?.(service.name, step, ok, error, service.instance ?? 1),
      },
    );
    this.runners.push(runner);
    this.save();
    return runner;
  }

  /**
   * Brings each of its instances here to what is compiled, one at a time: a replacement rolls, each
   * ready (and healthy) before the next, so all but one serve; the first that fails stops the roll.
   * Instances beyond its count go first, the highest first; those spread elsewhere are handed over.
   * Containers `found` of other instances (left by the agent before this one) are taken on for that.
   */
  private async startInstances(service: CompiledService, { roll = true, found = [] as readonly ContainerSummary[] } = {}): Promise<void> {
    const count = this.mine.countOf(service);
    const mine = this.mine.of(service);
    for (const instance of leftOver(found, service.name, mine, this.runners))
      await this.start(this.addRunner(instanceService(service, instance)));
    const beyond = this.runners.filter((r) => r.service === service.name && r.instance > count).sort((a, b) => b.instance - a.instance);
    for (const runner of beyond) {
      await this.retire(runner, `scaled to ${count}`);
      this.runners.splice(this.runners.indexOf(runner), 1);
    }
    for (const runner of this.runners.filter((r) => r.service === service.name && !mine.includes(r.instance)))
      this.moves.away(runner, `spread to ${this.mine.whereIs(service, runner.instance)}`);
    for (const instance of mine) {
      const runner = this.runners.find((r) => r.service === service.name && r.instance === instance);
      if (!runner) {
        await this.start(this.addRunner(instanceService(service, instance)));
        continue;
      }
      if (!roll) continue;
      for (const gone of runner.update(service)) await gone.watch?.close();
      await this.start(runner);
    }
  }

  /**
   * A count may have changed in disco (`scs scale`), or the members a spread shares the instances
   * over: services whose instances here are not those they should be start, retire or hand over some.
   */
  private countsChanged(): void {
    this.oneAtATime(async () => {
      if (this.phase !== 'running') return;
      for (const service of this.selected(this.compiled)) {
        const running = this.runners.filter((runner) => runner.service === service.name).map((runner) => runner.instance);
        const mine = this.mine.of(service);
        if (this.here?.has(service.name) === false || sameInstances(running, mine)) continue;
        const count = this.mine.countOf(service);
        const by = service.spread && `(spread by ${service.spread.by}): instances ${mine.join(', ') || 'none'} run here`;
        this.options.logger.info(
          `${service.name}: ${by ? `${count} instances ${by}` : `scaling from ${running.length} to ${count} instances`}`,
        );
        await this.startInstances(service, { roll: false });
      }
      this.save();
    }).catch((error: Error) => this.options.logger.warn(`following the new count: ${error.message}`));
  }

  private async retire(runner: ServiceRunner, cause?: string, release?: 'detach' | 'deprovision'): Promise<void> {
    await runner.stop();
    for (const requirement of runner.facts.requires) if (requirement.watch) await settlesWithin(requirement.watch.close());
    await runner.teardown(cause, release);
  }

  /** Watches what it requires (requirement-watches.ts), then brings it up. */
  private async start(runner: ServiceRunner): Promise<void> {
    await watchRequirements(runner, this.options, () => this.save());
    await runner.start();
    // What changed while it started is planned for now.
    runner.requirementsChanged();
  }

  /** Docker's news about one of its containers is a reason for that service to look again. */
  private onEvent(event: ContainerEvent): void {
    if (!/^(die|start|destroy|health_status)/.test(event.action)) return;
    const service = serviceLabelOf(event.labels);
    const instance = instanceOfLabels(event.labels);
    this.runners.find((runner) => runner.service === service && runner.instance === instance)?.containerChanged();
  }

  state(): AgentState {
    return agentState({
      identity: this.identity,
      compiled: this.compiled,
      options: this.options,
      only: this.only,
      phase: this.phase,
      error: this.error,
      timedOut: this.timedOut,
      self: this.self,
      runners: this.runners,
    });
  }

  /** Its phase and its services, as its member record tells disco (member-record.ts). */
  member(): { phase: AgentState['phase']; services: MemberService[]; given?: string[] } {
    const services = this.runners.map(({ facts }) => memberService(facts, this.mine.missing(facts.service)));
    return { phase: this.phase, services, ...(this.only.length > 0 ? { given: [...this.only] } : {}) };
  }

  /** The endpoints its containers provide, with where each is on the stack network. */
  localEndpoints(): LocalEndpoint[] {
    return this.runners.flatMap(({ facts }) =>
      [...facts.provisions, ...(facts.next?.provisions ?? [])].flatMap((handle) => {
        const container = this.executor.containerAddressOf(handle);
        const { name, host, port, protocol = 'tcp' } = handle.spec;
        return container ? [{ name, advertised: { host, port, protocol }, container }] : [];
      }),
    );
  }

  private save(): void {
    writeState(this.options.stateFolder ?? stateFolder(this.identity.project, this.identity.stack), this.state());
    this.options.onChange?.();
  }
}
