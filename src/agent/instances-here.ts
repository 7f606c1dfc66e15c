// What the agent does with its stack's instances records: it sets the stack files' `replicas:` (unless
// a `scs scale` changed the count since, with the same files), and it follows the drains: a service
// whose instance here is drained keeps its container running and provides nothing (reconcile.ts
// plans it from `facts.drained`). The count it reads (src/placement/replicas.ts) is how many
// instances the agent runs of each service placed on its host.

import type { ConsolaInstance } from 'consola';
import type { CompiledService } from '../manifest/compiled.ts';
import { filesReplicas, replicasOf } from '../placement/replicas.ts';
import { type Instances, isDrained, type Scale } from '../protocol/instances.ts';
import type { ServiceRunner } from './runner.ts';

/** Disco's instances records of one stack, as the agent reads and sets them. */
export interface InstancesBoard {
  /** Every stored record of the stack, by service name (`service.stack.environment`). */
  current(): ReadonlyMap<string, Instances>;
  /** Sets counts, all or none; a conditional one that lost a race fails with disco's `conflict` error. */
  scale(scales: readonly Scale[]): Promise<Instances[]>;
  /** Calls `listener` after every change disco tells of, until the returned function is called. */
  onChange(listener: () => void): () => void;
}

export class InstancesHere {
  constructor(
    readonly board: InstancesBoard,
    private readonly host: string,
    private readonly nameOf: (service: string) => string,
    private readonly logger: ConsolaInstance,
  ) {}

  /** Sets the counts the stack files give that disco should take (src/placement/replicas.ts), saying when they override a `scs scale`. */
  async setFromFiles(services: readonly CompiledService[]): Promise<void> {
    const { scales, notes } = filesReplicas(services, this.board.current(), this.nameOf);
    if (scales.length === 0) return;
    try {
      await this.board.scale(scales);
      for (const note of notes) this.logger.info(note);
    } catch (error) {
      const code = (error as { code?: string }).code;
      // A token that may provide but not place (docs/production.md): the services run as ever, the count is not kept.
      if (code === 'forbidden')
        return void this.logger.warn(`the stack files' replicas: are not kept in disco: ${(error as Error).message}`);
      // Another host's agent set them a moment before, from the same files: what it set stands.
      if (code !== 'conflict') throw error;
      this.logger.debug(`the stack files' replicas were set by another agent first: ${(error as Error).message}`);
    }
  }

  /** How many instances of `service` run: disco's count, else the stack files'. */
  countOf(service: CompiledService): number {
    return replicasOf(service, this.board.current().get(this.nameOf(service.name)));
  }

  /** Whether a drain covers `service`'s instance `instance` on this host. */
  drainedHere(service: string, instance: number): boolean {
    return isDrained(this.board.current().get(this.nameOf(service)), this.host, instance);
  }

  /**
   * Whether `name` (what a requirement names: `http.web.blog.prod`) is provided by a service of the
   * stack whose first instance here is drained: a dependent does not wait for it to start. (Another
   * instance that is not drained provides it, and then nobody waits.)
   */
  providerDrained(name: string): boolean {
    const labels = name.split('.');
    return labels.length === 4 && isDrained(this.board.current().get(labels.slice(1).join('.')), this.host, 1);
  }

  /**
   * From now on, each runner whose drain changed is told, and `counted` after every change (a count
   * may have changed), until the returned function is called.
   */
  follow(runners: () => readonly ServiceRunner[], counted: () => void): () => void {
    return this.board.onChange(() => {
      counted();
      for (const runner of runners()) {
        const drained = this.drainedHere(runner.service, runner.instance);
        if (drained === runner.facts.drained) continue;
        this.logger.info(
          `${runner.name}: ${drained ? 'drained (scs drain): its endpoints are dropped, its container keeps running' : 'undrained: its endpoints are provided again'}`,
        );
        runner.setDrained(drained);
      }
    });
  }
}
