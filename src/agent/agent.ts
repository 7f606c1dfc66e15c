// The agent brings a plan up and keeps it connected. Services start in dependency order, each once
// what it requires is there. Then every change (a required endpoint moves, Docker reports a
// container died, restarted or changed health) asks that service's runner for a pass, which
// observes, plans (reconcile.ts) and executes (executor.ts) until what runs matches the plan.

import type { ConsolaInstance } from 'consola';
import { formatHostPort } from '../address.ts';
import { LABEL } from '../docker/labels.ts';
import type { Plan } from '../manifest/compile.ts';
import type { ContainerEngine, ContainerEvent } from './container-engine.ts';
import type { Discovery } from './discovery.ts';
import { Executor } from './executor.ts';
import { newFacts, type RequirementFacts } from './facts.ts';
import { ServiceRunner } from './runner.ts';
import { addresses } from './spec.ts';
import { writeState, type AgentState, type RequireRecord } from './state.ts';

export interface AgentOptions {
  readonly engine: ContainerEngine;
  readonly client: Discovery;
  /** The address provided for published ports: the host as other containers and hosts reach it. */
  readonly advertise: string;
  readonly waitTimeoutMs: number;
  /** Quiet time that folds a burst of endpoint changes into one pass. */
  readonly debounceMs: number;
  readonly logger: ConsolaInstance;
  readonly disco: string;
  readonly dns?: string;
}

export class Agent {
  private readonly runners: ServiceRunner[] = [];
  private readonly executor: Executor;
  private stopEvents: (() => void) | undefined;
  private phase: AgentState['phase'] = 'starting';
  private error: string | undefined;

  constructor(
    private readonly plan: Plan,
    private readonly options: AgentOptions,
  ) {
    this.executor = new Executor({ ...options, discovery: options.client, labels: this.labels });
  }

  private get labels() {
    return { [LABEL.stack]: this.plan.stack, [LABEL.environment]: this.plan.environment };
  }

  async up(): Promise<void> {
    this.stopEvents = await this.options.engine.events(this.labels, (event) => this.onEvent(event));
    try {
      for (const plan of this.plan.services) await this.start(this.addRunner(plan));
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
    for (const runner of [...this.runners].reverse()) {
      await runner.stop();
      for (const requirement of runner.facts.requires) await requirement.watch?.close();
      await runner.teardown();
      if (!volumes) continue;
      for (const volume of runner.facts.plan.container.volumes) {
        if (volume.method === 'named' && (await engine.volumeExists(volume.source))) {
          await engine.removeVolume(volume.source);
          logger.info(`${runner.role}: removed volume ${volume.source}`);
        }
      }
    }
    this.stopEvents?.();
    if (!failed) this.phase = 'stopped';
    this.save();
  }

  private addRunner(plan: Plan['services'][number]): ServiceRunner {
    const runner = new ServiceRunner(newFacts(plan), {
      engine: this.options.engine,
      executor: this.executor,
      labels: this.labels,
      logger: this.options.logger,
      changed: () => this.save(),
    });
    this.runners.push(runner);
    this.save();
    return runner;
  }

  private async start(runner: ServiceRunner): Promise<void> {
    const { client, logger, waitTimeoutMs, debounceMs } = this.options;
    for (const requirement of runner.facts.requires) {
      requirement.watch = await client.require({ name: requirement.plan.name, attrs: requirement.plan.filter }, () => {
        this.save();
        runner.trigger(debounceMs);
      });
      if (requirement.watch.endpoints.length === 0) {
        logger.info(`${runner.role}: waiting for ${requirement.plan.name}`);
        await this.waitForEndpoint(requirement, waitTimeoutMs);
      }
    }
    await runner.start();
    // What changed while it started is planned for now.
    runner.trigger();
  }

  private waitForEndpoint(requirement: RequirementFacts, timeoutMs: number): Promise<void> {
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

  /** Docker's news about a container is a reason to look again, at once: a death is dropped without delay. */
  private onEvent(event: ContainerEvent): void {
    if (!/^(die|start|health_status)/.test(event.action)) return;
    this.runners.find((runner) => runner.role === event.labels[LABEL.role])?.trigger();
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
      services: this.runners.map(({ facts }) => ({
        role: facts.plan.role,
        container: facts.container,
        containerName: facts.plan.container.name,
        image: facts.plan.image.tag,
        status: facts.status,
        provides: facts.provisions.map((handle) => ({ name: handle.spec.name, address: formatHostPort(handle.spec.host, handle.spec.port) })),
        requires: facts.requires.map(
          (requirement): RequireRecord => ({
            endpoint: requirement.plan.endpoint,
            name: requirement.plan.name,
            current: addresses(requirement.watch?.endpoints ?? []),
            applied: requirement.applied,
            lastUpdate: requirement.lastUpdate,
          }),
        ),
        ...(facts.lastStep ? { lastStep: facts.lastStep } : {}),
      })),
    };
  }

  private save(): void {
    writeState(this.plan.directory, this.state());
  }
}
