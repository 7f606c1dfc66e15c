// The agent makes a plan run and keeps it connected. For each service, in dependency order: wait
// for what it requires, start its container with SCS_REQUIRE_* set, provide its published ports.
// Then it supervises: a container that dies has its provisions dropped at once; one that comes
// back is provided again; when a required endpoint moves, the image's live update runs inside the
// container (bursts folded into one run), or the container is recreated with the new environment.

import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { ConsolaInstance } from 'consola';
import { formatHostPort } from '../address.ts';
import type { DiscoClient, Endpoint, ProvisionHandle, Watch } from '../client/client.ts';
import { Engine, LABEL, type ContainerEvent, type ContainerSpec } from '../docker/engine.ts';
import type { Plan, PlanRequire, ServicePlan } from '../manifest/compile.ts';
import { CoalescingRunner } from './coalesce.ts';
import { requireEnv } from './env.ts';
import { writeState, type AgentState, type RequireRecord, type UpdateRecord } from './state.ts';

export interface AgentOptions {
  readonly engine: Engine;
  readonly client: DiscoClient;
  /** The address provided for published ports: the host as other containers and hosts reach it. */
  readonly advertise: string;
  readonly waitTimeoutMs: number;
  readonly debounceMs: number;
  readonly logger: ConsolaInstance;
  readonly disco: string;
  readonly dns?: string;
}

interface RequireRuntime {
  readonly plan: PlanRequire;
  watch: Watch | undefined;
  runner: CoalescingRunner | undefined;
  applied: string[];
  lastUpdate: UpdateRecord | undefined;
}

interface ServiceRuntime {
  readonly plan: ServicePlan;
  container: string | undefined;
  status: string;
  provisions: ProvisionHandle[];
  readonly requires: RequireRuntime[];
  /** Set while the agent itself stops or recreates the container, so its events are not taken for a crash. */
  busy: boolean;
}

const addresses = (endpoints: readonly Endpoint[]) => endpoints.map((e) => formatHostPort(e.host, e.port));

export class Agent {
  private readonly services: ServiceRuntime[] = [];
  private stopEvents: (() => void) | undefined;
  private phase: AgentState['phase'] = 'starting';
  private error: string | undefined;

  constructor(
    private readonly plan: Plan,
    private readonly options: AgentOptions,
  ) {}

  private get labels() {
    return { [LABEL.stack]: this.plan.stack, [LABEL.environment]: this.plan.environment };
  }

  async up(): Promise<void> {
    this.stopEvents = await this.options.engine.events(this.labels, (event) => void this.onEvent(event).catch((error) => this.options.logger.error(error)));
    try {
      for (const plan of this.plan.services) await this.start(plan);
      this.phase = 'running';
      this.save();
    } catch (error) {
      this.phase = 'failed';
      this.error = (error as Error).message;
      this.save();
      throw error;
    }
  }

  /** Stops in reverse order, each service's provisions dropped before its container stops. */
  async down({ volumes = false } = {}): Promise<void> {
    // A failed start stays on record as failed, with its reason, for `scs up -d` to report.
    const failed = this.phase === 'failed';
    if (!failed) this.phase = 'stopping';
    this.save();
    const { engine, logger } = this.options;
    for (const runtime of [...this.services].reverse()) {
      runtime.busy = true;
      for (const requirement of runtime.requires) {
        requirement.runner?.cancel();
        await requirement.runner?.idle();
        await requirement.watch?.close();
      }
      await this.unprovide(runtime);
      if (runtime.container) {
        await engine.stop(runtime.container);
        await engine.remove(runtime.container);
        logger.info(`${runtime.plan.role}: stopped and removed`);
      }
      runtime.container = undefined;
      runtime.status = 'removed';
      if (volumes) {
        for (const volume of runtime.plan.container.volumes) {
          if (volume.method === 'named' && (await engine.volumeExists(volume.source))) {
            await engine.removeVolume(volume.source);
            logger.info(`${runtime.plan.role}: removed volume ${volume.source}`);
          }
        }
      }
    }
    this.stopEvents?.();
    if (!failed) this.phase = 'stopped';
    this.save();
  }

  private async start(plan: ServicePlan): Promise<void> {
    const { client, logger, waitTimeoutMs, debounceMs } = this.options;
    const runtime: ServiceRuntime = {
      plan,
      container: undefined,
      status: 'waiting',
      provisions: [],
      requires: plan.requires.map((requirement) => ({ plan: requirement, watch: undefined, runner: undefined, applied: [], lastUpdate: undefined })),
      busy: true,
    };
    this.services.push(runtime);
    this.save();

    for (const requirement of runtime.requires) {
      requirement.runner = new CoalescingRunner(() => this.reconfigure(runtime, requirement), debounceMs);
      requirement.watch = await client.require({ name: requirement.plan.name, attrs: requirement.plan.filter }, () => {
        this.save();
        if (!runtime.busy) requirement.runner!.trigger();
      });
      if (requirement.watch.endpoints.length === 0) {
        logger.info(`${plan.role}: waiting for ${requirement.plan.name}`);
        await this.waitForEndpoint(requirement, waitTimeoutMs);
      }
    }

    runtime.container = await this.ensureContainer(runtime);
    await this.whenReady(runtime);
    await this.provide(runtime);
    for (const requirement of runtime.requires) requirement.applied = addresses(requirement.watch!.endpoints);
    runtime.busy = false;
    this.save();
    this.catchUp(runtime);
  }

  /** Changes that came while the agent was busy with a service are applied now. */
  private catchUp(runtime: ServiceRuntime): void {
    for (const requirement of runtime.requires) {
      if (addresses(requirement.watch!.endpoints).join(';') !== requirement.applied.join(';')) requirement.runner!.trigger();
    }
  }

  private waitForEndpoint(requirement: RequireRuntime, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const check = setInterval(() => {
        if (requirement.watch!.endpoints.length > 0) {
          clearInterval(check);
          resolve();
        } else if (Date.now() - started > timeoutMs) {
          clearInterval(check);
          reject(new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${requirement.plan.name} (--wait-timeout)`));
        }
      }, 25);
    });
  }

  private environment(runtime: ServiceRuntime): Record<string, string> {
    const env = { ...runtime.plan.container.env };
    for (const requirement of runtime.requires) Object.assign(env, requireEnv(requirement.plan.endpoint, requirement.watch?.endpoints ?? []));
    return env;
  }

  private spec(runtime: ServiceRuntime): ContainerSpec {
    const { plan } = runtime;
    const publish: Record<string, string> = {};
    for (const provide of plan.provides) publish[`${provide.port}/${provide.protocol}`] = provide.publish ? String(provide.publish) : '';
    const spec: ContainerSpec = {
      name: plan.container.name,
      image: plan.image.tag,
      env: this.environment(runtime),
      labels: { ...this.labels, [LABEL.role]: plan.role },
      publish,
      network: plan.container.network,
      restart: plan.container.restart,
      mounts: plan.container.volumes.map((volume) => ({ type: volume.method === 'named' ? 'volume' : 'bind', source: volume.source, target: volume.target })),
    };
    // What decides whether a running container can be kept: the spec, as Compose's config hash.
    spec.labels[LABEL.config] = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
    return spec;
  }

  /** Keeps a running container whose configuration is unchanged; otherwise replaces it. */
  private async ensureContainer(runtime: ServiceRuntime): Promise<string> {
    const { engine, logger } = this.options;
    const spec = this.spec(runtime);
    for (const volume of runtime.plan.container.volumes) {
      if (volume.method === 'named') await engine.ensureVolume(volume.source, this.labels);
      else mkdirSync(volume.source, { recursive: true });
    }
    const [existing] = await engine.list({ ...this.labels, [LABEL.role]: runtime.plan.role });
    if (existing && existing.labels[LABEL.config] === spec.labels[LABEL.config] && existing.state === 'running') {
      logger.info(`${runtime.plan.role}: ${spec.name} is up to date`);
      runtime.status = 'running';
      return existing.id;
    }
    if (existing) await engine.remove(existing.id);
    const id = await engine.create(spec);
    await engine.start(id);
    runtime.status = 'running';
    logger.success(`${runtime.plan.role}: started ${spec.name}`);
    return id;
  }

  /**
   * Running, and healthy when the image declares a healthcheck. Docker runs the first check only
   * one interval after start, so the agent also runs the image's own check itself meanwhile: a
   * service is provided as soon as it is ready, not up to an interval later.
   */
  private async whenReady(runtime: ServiceRuntime): Promise<void> {
    const { engine, waitTimeoutMs } = this.options;
    const deadline = Date.now() + waitTimeoutMs;
    const probe = runtime.plan.container.healthcheck;
    for (;;) {
      const info = runtime.container ? await engine.inspect(runtime.container) : undefined;
      if (!info) throw new Error(`${runtime.plan.role}: its container is gone`);
      if (info.running && (!probe || info.health === 'healthy')) return;
      if (info.running && probe && info.health === 'starting') {
        const check = await engine.exec(info.id, probe, {}, 5000).catch(() => undefined);
        if (check?.exitCode === 0) return;
      }
      if (!info.running && runtime.plan.container.restart === 'no') {
        throw new Error(`${runtime.plan.role}: its container exited with status ${info.exitCode}${await this.lastWords(info.id)}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`${runtime.plan.role}: not ${probe ? 'healthy' : 'running'} after ${Math.round(waitTimeoutMs / 1000)} s${await this.lastWords(info.id)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, probe ? 100 : 25));
    }
  }

  /** The container is removed when a start fails, so what it said goes into the error. */
  private async lastWords(id: string): Promise<string> {
    const text = await this.options.engine.tail(id);
    return text ? `; it printed:\n${text}` : '; it printed nothing';
  }

  private async provide(runtime: ServiceRuntime): Promise<void> {
    const { engine, client, advertise, logger } = this.options;
    if (runtime.provisions.length > 0 || !runtime.container) return;
    const info = await engine.inspect(runtime.container);
    if (!info?.running) return;
    for (const provide of runtime.plan.provides) {
      const port = runtime.plan.container.network === 'host' ? provide.port : info.ports[`${provide.port}/${provide.protocol}`];
      if (!port) {
        logger.warn(`${runtime.plan.role}: ${provide.port}/${provide.protocol} is not published; ${provide.name} not provided`);
        continue;
      }
      runtime.provisions.push(await client.provide({ name: provide.name, host: advertise, port, protocol: provide.protocol, attrs: { ...provide.attributes } }));
      logger.info(`${runtime.plan.role}: providing ${provide.name} at ${formatHostPort(advertise, port)}`);
    }
    this.save();
  }

  private async unprovide(runtime: ServiceRuntime): Promise<void> {
    const provisions = runtime.provisions;
    runtime.provisions = [];
    await Promise.all(provisions.map((handle) => handle.drop()));
    this.save();
  }

  private async onEvent(event: ContainerEvent): Promise<void> {
    const runtime = this.services.find((s) => s.container === event.id);
    if (!runtime || runtime.busy) return;
    switch (event.action) {
      case 'die':
        runtime.status = 'exited';
        this.options.logger.warn(`${runtime.plan.role}: container died; dropping what it provides`);
        await this.unprovide(runtime);
        break;
      case 'start':
        // Docker restarted it (its restart policy, or a user): provide it again once it is ready.
        runtime.status = 'running';
        this.save();
        await this.whenReady(runtime).then(
          () => this.provide(runtime),
          (error: Error) => this.options.logger.warn(error.message),
        );
        break;
      case 'health_status: healthy':
        await this.provide(runtime);
        break;
      case 'health_status: unhealthy':
        this.options.logger.warn(`${runtime.plan.role}: unhealthy; dropping what it provides`);
        await this.unprovide(runtime);
        break;
    }
  }

  /** One requirement changed: its live update, or a new container with the new environment. */
  private async reconfigure(runtime: ServiceRuntime, requirement: RequireRuntime): Promise<void> {
    const { engine, logger } = this.options;
    if (runtime.busy || !runtime.container) return;
    const endpoints = addresses(requirement.watch!.endpoints);
    const at = new Date().toISOString();
    const command = requirement.plan.liveupdate;
    if (command && runtime.status === 'running') {
      try {
        const result = await engine.exec(runtime.container, command, this.environment(runtime));
        const ok = result.exitCode === 0;
        requirement.lastUpdate = { at, action: 'liveupdate', ok, exitCode: result.exitCode, output: result.output.trim().slice(-500), endpoints };
        if (ok) {
          requirement.applied = endpoints;
          logger.info(`${runtime.plan.role}: live update for ${requirement.plan.endpoint} → ${endpoints.join(';') || 'nothing'}`);
          this.save();
          return;
        }
        logger.warn(`${runtime.plan.role}: live update exited with ${result.exitCode}; recreating the container instead`);
      } catch (error) {
        requirement.lastUpdate = { at, action: 'liveupdate', ok: false, output: (error as Error).message, endpoints };
        logger.warn(`${runtime.plan.role}: live update failed (${(error as Error).message}); recreating the container instead`);
      }
    }
    await this.recreate(runtime, requirement, endpoints, at);
  }

  private async recreate(runtime: ServiceRuntime, requirement: RequireRuntime, endpoints: string[], at: string): Promise<void> {
    const { engine, logger } = this.options;
    runtime.busy = true;
    try {
      await this.unprovide(runtime);
      if (runtime.container) {
        await engine.stop(runtime.container);
        await engine.remove(runtime.container);
      }
      runtime.container = await this.ensureContainer(runtime);
      await this.whenReady(runtime);
      await this.provide(runtime);
      for (const other of runtime.requires) other.applied = addresses(other.watch!.endpoints);
      requirement.lastUpdate = { at, action: 'restart', ok: true, endpoints };
      logger.info(`${runtime.plan.role}: recreated with ${requirement.plan.endpoint} → ${endpoints.join(';') || 'nothing'}`);
    } catch (error) {
      requirement.lastUpdate = { at, action: 'restart', ok: false, output: (error as Error).message, endpoints };
      logger.error(`${runtime.plan.role}: could not recreate: ${(error as Error).message}`);
    } finally {
      runtime.busy = false;
      this.save();
    }
    this.catchUp(runtime);
  }

  state(): AgentState {
    return {
      pid: process.pid,
      phase: this.phase,
      ...(this.error ? { error: this.error } : {}),
      stack: this.plan.stack,
      environment: this.plan.environment,
      disco: this.options.disco,
      ...(this.options.dns ? { dns: this.options.dns } : {}),
      services: this.services.map((runtime) => ({
        role: runtime.plan.role,
        container: runtime.container,
        containerName: runtime.plan.container.name,
        image: runtime.plan.image.tag,
        status: runtime.status,
        provides: runtime.provisions.map((handle) => ({ name: handle.spec.name, address: formatHostPort(handle.spec.host, handle.spec.port) })),
        requires: runtime.requires.map(
          (requirement): RequireRecord => ({
            endpoint: requirement.plan.endpoint,
            name: requirement.plan.name,
            current: addresses(requirement.watch?.endpoints ?? []),
            applied: requirement.applied,
            lastUpdate: requirement.lastUpdate,
          }),
        ),
      })),
    };
  }

  private save(): void {
    writeState(this.plan.directory, this.state());
  }
}
