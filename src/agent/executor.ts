// Carries out one step of a plan on a service, and records what it did in the service's facts.
// It decides nothing: which step, and why, is the planner's (reconcile.ts).

import type { ConsolaInstance } from 'consola';
import { formatHostPort } from '../address.ts';
import type { ProvisionHandle } from '../client/client.ts';
import type { CompiledService } from '../manifest/compiled.ts';
import { networkProvisioner } from '../networks/methods.ts';
import { type Place, withPlace } from '../registry/nearest.ts';
import type { Address } from '../registry/types.ts';
import type { ContainerEngine, ContainerInfo } from './container-engine.ts';
import type { Discovery } from './discovery.ts';
import { nextName, provisionKey, runOf, type ServiceFacts, wantedEndpoints } from './facts.ts';
import type { CheckVerdict } from './health.ts';
import { type AgentIdentity, resourceLabels } from './identity.ts';
import { instanceNameOf } from './instances.ts';
import type { AgentMeter } from './meter.ts';
import type { Step } from './plan.ts';
import { actOnResource } from './resources.ts';
import { addresses, containerSpec, type NetworkAttachment } from './spec.ts';
import { WaitTimeoutError } from './wait-timeout.ts';
import { settlesWithin } from './within.ts';

export interface ExecutorOptions {
  readonly engine: ContainerEngine;
  readonly discovery: Discovery;
  /** The address provided for published ports: the host as other containers and hosts reach it. */
  readonly advertise: string;
  readonly waitTimeoutMs: number;
  /** How long an empty set is held back (see urgency.ts): a new container keeps what it holds. */
  readonly holdMs: number;
  readonly identity: AgentIdentity;
  readonly attachment?: NetworkAttachment;
  readonly logger: ConsolaInstance;
  readonly meter?: AgentMeter | undefined;
  /** Where this host is: its zone and dc go on every endpoint it provides that does not say its own. */
  readonly place?: Place | undefined;
}

export class Executor {
  /** Where each endpoint it provided is on the stack network: the host's DNS answers it there to its neighbours. */
  private readonly containerAddresses = new WeakMap<ProvisionHandle, Address>();
  /** The address of each service's own interface (an ENI): it is provided there, at the container's ports. */
  private readonly interfaceAddresses = new Map<string, string>();
  /** The Docker volumes this agent made, or said it found: one left from an earlier run is said once, when first used. */
  private readonly volumesSaid = new Set<string>();

  constructor(private readonly options: ExecutorOptions) {}

  containerAddressOf(handle: ProvisionHandle): Address | undefined {
    return this.containerAddresses.get(handle);
  }

  /** Whether another provider has an endpoint of a name this service provides, besides those `alsoOurs` (disco away: no). */
  async othersProvide(facts: ServiceFacts, alsoOurs: readonly ServiceFacts[] = []): Promise<boolean> {
    const ours = new Set([facts, ...alsoOurs].flatMap((each) => each.provisions.map((handle) => handle.id)));
    // Its names as compiled: one that provides nothing yet (it failed to start) is served elsewhere all the same.
    const names = [...new Set(facts.service.provides.map((provide) => provide.name))];
    const found = Promise.all(names.map((name) => this.options.discovery.list(name)));
    let lists: Awaited<typeof found> | undefined;
    await settlesWithin(found.then((result) => (lists = result)));
    return lists?.some((endpoints) => endpoints.some((endpoint) => !ours.has(endpoint.id))) ?? false;
  }

  /** Throws when the step could not be done; a live update that fails is recorded, not thrown. */
  async execute(facts: ServiceFacts, step: Step): Promise<void> {
    const meter = this.options.meter;
    if (!meter) return this.perform(facts, step);
    try {
      await this.perform(facts, step);
      meter.stepDone(step.kind, step.kind !== 'liveupdate' || !facts.requires.find((r) => r.compiled.endpoint === step.endpoint)?.failed);
    } catch (error) {
      meter.stepDone(step.kind, false);
      throw error;
    }
  }

  private async perform(facts: ServiceFacts, step: Step): Promise<void> {
    if (step.next) return this.executeOnNext(facts, step);
    const { engine, logger } = this.options;
    const service = instanceNameOf(facts.service);
    const because = `(${step.cause})`;
    switch (step.kind) {
      case 'provision':
      case 'attach':
      case 'detach':
      case 'deprovision': {
        if (!step.resource) throw new Error(`${service}: a ${step.kind} step names no volume or network`);
        const context = { engine, labels: resourceLabels(this.options.identity), logger };
        await actOnResource(facts.service, step.kind, step.resource, context);
        const made =
          step.kind === 'provision' && 'volume' in step.resource ? dockerVolumeOf(facts.service, step.resource.volume) : undefined;
        if (made) this.volumesSaid.add(made);
        return;
      }
      case 'create':
        this.sayVolumesFound(facts.service);
        facts.container = await this.create(facts, step, facts.service.container.name);
        facts.readyRun = undefined;
        return;
      case 'start':
        await engine.start(this.container(facts));
        await this.enterNetwork(facts, this.container(facts));
        logger.success(`${service}: started ${facts.service.container.name} ${because}`);
        return;
      case 'ready':
        facts.readyRun = await this.whenReady(facts, this.container(facts));
        return;
      case 'provide': {
        const { provisions, key } = await this.provide(facts, this.container(facts), because);
        facts.provisions = provisions;
        facts.providedFor = key;
        return;
      }
      case 'drop': {
        const provisions = facts.provisions;
        facts.provisions = [];
        facts.providedFor = undefined;
        await this.drop(service, provisions, because);
        return;
      }
      case 'drain':
        logger.info(`${service}: draining ${facts.service.container.name} for ${step.ms} ms ${because}`);
        await new Promise((resolve) => setTimeout(resolve, step.ms));
        return;
      case 'liveupdate':
        await this.liveupdate(facts, step.endpoint!, because);
        return;
      case 'stop':
        // Said before and after, as Compose does: a container may take its whole grace to stop (10 s).
        logger.info(`${service}: stopping ${facts.service.container.name} ${because}`);
        await engine.stop(this.container(facts));
        logger.info(`${service}: stopped ${facts.service.container.name}`);
        return;
      case 'remove':
        await engine.remove(this.container(facts));
        facts.container = undefined;
        facts.run = undefined;
        facts.readyRun = undefined;
        logger.info(`${service}: removed ${facts.service.container.name} ${because}`);
        return;
      case 'promote': {
        const next = facts.next;
        if (!next) throw new Error(`${service}: there is no next container to promote`);
        if (facts.container) throw new Error(`${service}: the old container is still there`);
        await engine.rename(next.id, facts.service.container.name);
        Object.assign(facts, {
          container: next.id,
          run: undefined,
          readyRun: next.readyRun,
          providedFor: next.providedFor,
          provisions: next.provisions,
          next: undefined,
        });
        logger.success(`${service}: replaced, with ${facts.service.container.name} serving ${because}`);
        return;
      }
    }
  }

  /** The steps of a start-first replacement that act on the new container, beside the current one. */
  private async executeOnNext(facts: ServiceFacts, step: Step): Promise<void> {
    const { engine } = this.options;
    const because = `(${step.cause})`;
    if (step.kind === 'create') {
      const id = await this.create(facts, step, nextName(facts.service.container.name));
      facts.next = { id, readyRun: undefined, providedFor: undefined, provisions: [] };
      return;
    }
    const next = facts.next;
    if (!next) throw new Error(`${instanceNameOf(facts.service)}: there is no next container`);
    switch (step.kind) {
      case 'start':
        await engine.start(next.id);
        this.options.logger.info(
          `${instanceNameOf(facts.service)}: started ${nextName(facts.service.container.name)} beside the current one ${because}`,
        );
        return;
      case 'ready':
        next.readyRun = await this.whenReady(facts, next.id);
        return;
      case 'provide': {
        const { provisions, key } = await this.provide(facts, next.id, because);
        next.provisions = provisions;
        next.providedFor = key;
        return;
      }
      case 'drop': {
        const provisions = next.provisions;
        next.provisions = [];
        next.providedFor = undefined;
        await this.drop(instanceNameOf(facts.service), provisions, because);
        return;
      }
      case 'stop':
        await engine.stop(next.id);
        return;
      case 'remove':
        await engine.remove(next.id);
        facts.next = undefined;
        return;
      default:
        throw new Error(`${instanceNameOf(facts.service)}: cannot ${step.kind} the next container`);
    }
  }

  /** A container with what is wanted now (its volumes and network made ready by the steps before); records what each requirement is configured with. */
  private async create(facts: ServiceFacts, step: Step, name: string): Promise<string> {
    const wanted = wantedEndpoints(facts, this.options.holdMs);
    const spec = { ...containerSpec(facts.service, this.options.identity, wanted, this.options.attachment), name };
    const id = await this.options.engine.create(spec);
    const at = new Date().toISOString();
    for (const requirement of facts.requires) {
      const endpoints = addresses(wanted.get(requirement.compiled.endpoint) ?? []);
      // A replacement is how a requirement without a working live update takes its new value.
      if (step.replacing && endpoints.join(';') !== requirement.applied.join(';')) {
        requirement.lastUpdate = { at, action: 'restart', ok: true, endpoints };
      }
      requirement.applied = endpoints;
      requirement.failed = undefined;
    }
    this.options.logger.debug(`${instanceNameOf(facts.service)}: created ${name} (${step.cause})`);
    return id;
  }

  /**
   * A Docker volume the plan did not provision existed already (the planner provisions only those
   * missing): data from an earlier run, which the new container takes on. Said, as Compose users
   * expect to be told, once for each volume.
   */
  private sayVolumesFound(service: CompiledService): void {
    for (const volume of service.container.volumes) {
      const name = dockerVolumeOf(service, volume.name);
      if (!name || this.volumesSaid.has(name)) continue;
      this.volumesSaid.add(name);
      this.options.logger.info(`${instanceNameOf(service)}: using volume ${name}, which exists already`);
    }
  }

  private async drop(service: string, provisions: readonly ProvisionHandle[], because: string): Promise<void> {
    if (!(await settlesWithin(Promise.all(provisions.map((handle) => handle.drop())))))
      this.options.logger.warn(`${service}: disco has not confirmed the drop yet; it is told again when it is back`);
    if (provisions.length > 0)
      this.options.logger.info(
        `${service}: dropped ${provisions.map((p) => `${p.spec.name} at ${formatHostPort(p.spec.host, p.spec.port)}`).join(', ')} ${because}`,
      );
  }

  private container(facts: ServiceFacts): string {
    if (!facts.container) throw new Error(`${instanceNameOf(facts.service)}: it has no container`);
    return facts.container;
  }

  /** An ENI goes into the container's network namespace once it runs: it is its address from then on. */
  private async enterNetwork(facts: ServiceFacts, id: string): Promise<void> {
    const network = networkProvisioner(facts.service, { labels: resourceLabels(this.options.identity), logger: this.options.logger });
    if (!network) return;
    const pid = (await this.options.engine.inspect(id))?.pid;
    if (!pid) throw new Error(`${instanceNameOf(facts.service)}: its container is not running, so its ENI cannot go into it`);
    this.interfaceAddresses.set(facts.service.container.name, (await network.enter(pid)).address);
  }

  /**
   * Running, and healthy when the image declares a healthcheck. Docker runs the first check only
   * one interval after start, so the image's own check is also run here meanwhile: a service is
   * provided as soon as it is ready, not up to an interval later.
   */
  private async whenReady(facts: ServiceFacts, id: string): Promise<string> {
    const { engine, waitTimeoutMs } = this.options;
    const { container, health } = facts.service;
    const service = instanceNameOf(facts.service);
    const deadline = Date.now() + waitTimeoutMs;
    // The stack file's check overrides the image's: the agent runs it (health-monitor.ts), Docker's word is not asked.
    const own = health && health.probe.kind !== 'none' ? facts.checks : undefined;
    const probe = health ? undefined : container.healthcheck;
    own?.watch(id);
    let verdict: CheckVerdict | undefined;
    for (;;) {
      const info = await engine.inspect(id);
      if (!info) throw new Error(`${service}: its container is gone`);
      verdict = own?.verdict(id, runOf(info));
      let ready = info.running && (own ? verdict?.verdict === 'healthy' : !probe || info.health === 'healthy');
      if (!ready && info.running && probe && info.health === 'starting') {
        ready = (await engine.exec(info.id, probe, {}, 5000).catch(() => undefined))?.exitCode === 0;
      }
      if (ready) return runOf(info);
      if (!info.running && container.restart === 'no') {
        throw new Error(`${service}: its container exited with status ${info.exitCode}${await this.lastWords(info.id)}`);
      }
      if (Date.now() > deadline) {
        throw new WaitTimeoutError(
          `${service}: not ${probe || own ? 'healthy' : 'running'} after ${Math.round(waitTimeoutMs / 1000)} s${verdict ? ` (${verdict.text})` : ''}${await this.lastWords(info.id)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, probe ? 100 : 25));
    }
  }

  /** The container is removed when a start fails, so what it said goes into the error. */
  private async lastWords(id: string): Promise<string> {
    const text = await this.options.engine.tail(id);
    return text ? `; it printed:\n${text}` : '; it printed nothing';
  }

  /**
   * Where an endpoint of this container is provided, or would be: the advertised address and its
   * published port (its own interface's address, or the host's, at the container's port). What
   * dependents reach, so the agent's http and tcp health checks ask there too.
   */
  providedAt(service: CompiledService, info: ContainerInfo, endpoint: string): { host: string; port: number } | undefined {
    const provide = service.provides.find((p) => p.endpoint === endpoint);
    if (!provide) return undefined;
    const own = this.interfaceAddresses.get(service.container.name);
    const port = service.container.network === 'host' || own ? provide.port : info.ports[`${provide.port}/${provide.protocol}`];
    return port ? { host: own ?? this.options.advertise, port } : undefined;
  }

  private async provide(facts: ServiceFacts, id: string, because: string): Promise<{ provisions: ProvisionHandle[]; key: string }> {
    const { engine, discovery, logger } = this.options;
    const { service } = facts;
    const info = await engine.inspect(id);
    if (!info?.running) throw new Error(`${instanceNameOf(service)}: its container stopped before it could be provided`);
    const provisions: ProvisionHandle[] = [];
    for (const provide of service.provides) {
      const at = this.providedAt(service, info, provide.endpoint);
      if (!at) {
        logger.warn(`${instanceNameOf(service)}: ${provide.port}/${provide.protocol} is not published; ${provide.name} not provided`);
        continue;
      }
      const handle = await discovery.provide({
        name: provide.name,
        host: at.host,
        port: at.port,
        protocol: provide.protocol,
        attrs: withPlace(provide.attributes, this.options.place),
      });
      if (info.ip) this.containerAddresses.set(handle, { host: info.ip, port: provide.port, protocol: provide.protocol });
      provisions.push(handle);
      logger.info(`${instanceNameOf(service)}: providing ${provide.name} at ${formatHostPort(at.host, at.port)} ${because}`);
    }
    return { provisions, key: provisionKey(runOf(info), service) };
  }

  private async liveupdate(facts: ServiceFacts, endpoint: string, because: string): Promise<void> {
    const { engine, logger } = this.options;
    const requirement = facts.requires.find((r) => r.compiled.endpoint === endpoint)!;
    const wanted = wantedEndpoints(facts, this.options.holdMs);
    const endpoints = addresses(wanted.get(endpoint) ?? []);
    const at = new Date().toISOString();
    const env = containerSpec(facts.service, this.options.identity, wanted, this.options.attachment).env;
    let exitCode: number | undefined;
    let output: string;
    const started = performance.now();
    try {
      const result = await engine.exec(this.container(facts), requirement.compiled.liveupdate!, env);
      exitCode = result.exitCode;
      output = result.output.trim().slice(-500);
    } catch (error) {
      output = (error as Error).message;
    }
    const ok = exitCode === 0;
    this.options.meter?.liveUpdated(ok, (performance.now() - started) / 1000);
    requirement.lastUpdate = { at, action: 'liveupdate', ok, ...(exitCode === undefined ? {} : { exitCode }), output, endpoints };
    if (ok) {
      requirement.applied = endpoints;
      requirement.failed = undefined;
      logger.info(`${instanceNameOf(facts.service)}: live update for ${endpoint} → ${endpoints.join(';') || 'nothing'}`);
    } else {
      requirement.failed = { endpoints, reason: exitCode === undefined ? output : `exit ${exitCode}` };
      logger.warn(`${instanceNameOf(facts.service)}: live update for ${endpoint} failed (${requirement.failed.reason}) ${because}`);
    }
  }
}

/** The Docker volume a service's volume is (named, nfs); undefined for a host folder or an EBS volume. */
function dockerVolumeOf(service: CompiledService, name: string): string | undefined {
  const volume = service.container.volumes.find((each) => each.name === name);
  return volume && (volume.method === 'named' || volume.method === 'nfs') ? volume.source : undefined;
}
