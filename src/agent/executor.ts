// Carries out one step of a plan on a service, and records what it did in the service's facts.
// It decides nothing: which step, and why, is the planner's (reconcile.ts).

import { mkdirSync } from 'node:fs';
import type { ConsolaInstance } from 'consola';
import { formatHostPort } from '../address.ts';
import type { ContainerEngine } from './container-engine.ts';
import type { Discovery } from './discovery.ts';
import { provisionKey, runOf, wantedEndpoints, type ServiceFacts } from './facts.ts';
import { ownerLabels, type AgentIdentity } from './identity.ts';
import type { Step } from './plan.ts';
import { addresses, containerSpec } from './spec.ts';

export interface ExecutorOptions {
  readonly engine: ContainerEngine;
  readonly discovery: Discovery;
  /** The address provided for published ports: the host as other containers and hosts reach it. */
  readonly advertise: string;
  readonly waitTimeoutMs: number;
  /** How long an empty set is held back (see urgency.ts): a new container keeps what it holds. */
  readonly holdMs: number;
  readonly identity: AgentIdentity;
  readonly logger: ConsolaInstance;
}

export class Executor {
  constructor(private readonly options: ExecutorOptions) {}

  /** Throws when the step could not be done; a live update that fails is recorded, not thrown. */
  async execute(facts: ServiceFacts, step: Step): Promise<void> {
    const { engine, logger } = this.options;
    const role = facts.plan.role;
    const because = `(${step.cause})`;
    switch (step.kind) {
      case 'create': {
        await this.ensureVolumes(facts);
        const endpointsNow = wantedEndpoints(facts, this.options.holdMs);
        const spec = containerSpec(facts.plan, this.options.identity, endpointsNow);
        facts.container = await engine.create(spec);
        facts.readyRun = undefined;
        const at = new Date().toISOString();
        for (const requirement of facts.requires) {
          const endpoints = addresses(endpointsNow.get(requirement.plan.endpoint) ?? []);
          // A replacement is how a requirement without a working live update takes its new value.
          if (step.cause.startsWith('replace') && endpoints.join(';') !== requirement.applied.join(';')) {
            requirement.lastUpdate = { at, action: 'restart', ok: true, endpoints };
          }
          requirement.applied = endpoints;
          requirement.failed = undefined;
        }
        logger.debug(`${role}: created ${spec.name} ${because}`);
        return;
      }
      case 'start':
        await engine.start(this.container(facts));
        logger.success(`${role}: started ${facts.plan.container.name} ${because}`);
        return;
      case 'ready':
        await this.whenReady(facts);
        return;
      case 'provide':
        await this.provide(facts, because);
        return;
      case 'drop': {
        const provisions = facts.provisions;
        facts.provisions = [];
        facts.providedFor = undefined;
        await Promise.all(provisions.map((handle) => handle.drop()));
        if (provisions.length > 0) logger.info(`${role}: dropped ${provisions.map((p) => p.spec.name).join(', ')} ${because}`);
        return;
      }
      case 'liveupdate':
        await this.liveupdate(facts, step.endpoint!, because);
        return;
      case 'stop':
        await engine.stop(this.container(facts));
        return;
      case 'remove':
        await engine.remove(this.container(facts));
        facts.container = undefined;
        facts.run = undefined;
        facts.readyRun = undefined;
        logger.info(`${role}: removed ${facts.plan.container.name} ${because}`);
        return;
    }
  }

  private container(facts: ServiceFacts): string {
    if (!facts.container) throw new Error(`${facts.plan.role}: it has no container`);
    return facts.container;
  }

  private async ensureVolumes(facts: ServiceFacts): Promise<void> {
    for (const volume of facts.plan.container.volumes) {
      if (volume.method === 'named') await this.options.engine.ensureVolume(volume.source, ownerLabels(this.options.identity));
      else mkdirSync(volume.source, { recursive: true });
    }
  }

  /**
   * Running, and healthy when the image declares a healthcheck. Docker runs the first check only
   * one interval after start, so the image's own check is also run here meanwhile: a service is
   * provided as soon as it is ready, not up to an interval later.
   */
  private async whenReady(facts: ServiceFacts): Promise<void> {
    const { engine, waitTimeoutMs } = this.options;
    const { role, container } = facts.plan;
    const deadline = Date.now() + waitTimeoutMs;
    const probe = container.healthcheck;
    for (;;) {
      const info = await engine.inspect(this.container(facts));
      if (!info) throw new Error(`${role}: its container is gone`);
      let ready = info.running && (!probe || info.health === 'healthy');
      if (!ready && info.running && probe && info.health === 'starting') {
        ready = (await engine.exec(info.id, probe, {}, 5000).catch(() => undefined))?.exitCode === 0;
      }
      if (ready) {
        facts.readyRun = runOf(info);
        return;
      }
      if (!info.running && container.restart === 'no') {
        throw new Error(`${role}: its container exited with status ${info.exitCode}${await this.lastWords(info.id)}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`${role}: not ${probe ? 'healthy' : 'running'} after ${Math.round(waitTimeoutMs / 1000)} s${await this.lastWords(info.id)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, probe ? 100 : 25));
    }
  }

  /** The container is removed when a start fails, so what it said goes into the error. */
  private async lastWords(id: string): Promise<string> {
    const text = await this.options.engine.tail(id);
    return text ? `; it printed:\n${text}` : '; it printed nothing';
  }

  private async provide(facts: ServiceFacts, because: string): Promise<void> {
    const { engine, discovery, advertise, logger } = this.options;
    const { plan } = facts;
    const info = await engine.inspect(this.container(facts));
    if (!info?.running) throw new Error(`${plan.role}: its container stopped before it could be provided`);
    for (const provide of plan.provides) {
      const port = plan.container.network === 'host' ? provide.port : info.ports[`${provide.port}/${provide.protocol}`];
      if (!port) {
        logger.warn(`${plan.role}: ${provide.port}/${provide.protocol} is not published; ${provide.name} not provided`);
        continue;
      }
      facts.provisions.push(await discovery.provide({ name: provide.name, host: advertise, port, protocol: provide.protocol, attrs: { ...provide.attributes } }));
      logger.info(`${plan.role}: providing ${provide.name} at ${formatHostPort(advertise, port)} ${because}`);
    }
    facts.providedFor = provisionKey(runOf(info), plan);
  }

  private async liveupdate(facts: ServiceFacts, endpoint: string, because: string): Promise<void> {
    const { engine, logger } = this.options;
    const requirement = facts.requires.find((r) => r.plan.endpoint === endpoint)!;
    const wanted = wantedEndpoints(facts, this.options.holdMs);
    const endpoints = addresses(wanted.get(endpoint) ?? []);
    const at = new Date().toISOString();
    const env = containerSpec(facts.plan, this.options.identity, wanted).env;
    let exitCode: number | undefined;
    let output: string;
    try {
      const result = await engine.exec(this.container(facts), requirement.plan.liveupdate!, env);
      exitCode = result.exitCode;
      output = result.output.trim().slice(-500);
    } catch (error) {
      output = (error as Error).message;
    }
    const ok = exitCode === 0;
    requirement.lastUpdate = { at, action: 'liveupdate', ok, ...(exitCode === undefined ? {} : { exitCode }), output, endpoints };
    if (ok) {
      requirement.applied = endpoints;
      requirement.failed = undefined;
      logger.info(`${facts.plan.role}: live update for ${endpoint} → ${endpoints.join(';') || 'nothing'}`);
    } else {
      requirement.failed = { endpoints, reason: exitCode === undefined ? output : `exit ${exitCode}` };
      logger.warn(`${facts.plan.role}: live update for ${endpoint} failed (${requirement.failed.reason}) ${because}`);
    }
  }
}
