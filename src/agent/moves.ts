// The agent's two halves of a move, in the order that loses nothing. A service without data is
// made before it is broken: the old host keeps serving it until another host provides it, then
// drains and stops. A service with data has one writer: the old host stops it and lets go of its
// volume first, and the new host starts it only once no other host holds it.

import { setTimeout as delay } from 'node:timers/promises';
import type { ConsolaInstance } from 'consola';
import type { CompiledService } from '../manifest/compiled.ts';
import { dataOf } from '../placement/data.ts';
import type { Executor } from './executor.ts';
import type { ServiceFacts } from './facts.ts';
import type { ServiceRunner } from './runner.ts';

/** How often a move looks again at disco: what the other host's agent has done so far. */
const LOOK_EVERY_MS = 250;

export interface MovesOptions {
  readonly executor: Pick<Executor, 'othersProvide'>;
  readonly logger: ConsolaInstance;
  /** How long a host waits for the other one before it says so. */
  readonly waitTimeoutMs: number;
  /** Whether the service (by its name in the stack) is placed on this host now; with `instance`, whether that instance of it runs here (`spread:`). */
  readonly placedHere: (service: string, instance?: number) => boolean;
  /** Whether an agent on another host still lists the service as its own. */
  readonly heldElsewhere: (service: string) => Promise<boolean>;
  /** Stops the service here and lets go of what it held, unless it is placed here again by then. */
  readonly retire: (runner: ServiceRunner, cause: string) => Promise<void>;
  /** Every instance of the service this agent runs: none of them is the new host serving it. */
  readonly instancesHere: (service: string) => readonly ServiceFacts[];
}

export class Moves {
  /** Instances leaving this host (`web`, `web-2`): one departure each at a time. */
  private readonly leaving = new Set<string>();
  private closed = false;

  constructor(private readonly options: MovesOptions) {}

  /** The instance runs elsewhere now (`cause` says where): it leaves, in its own time; a placement back here cancels that. */
  away(runner: ServiceRunner, cause: string): void {
    const { name } = runner;
    if (this.leaving.has(name)) return;
    this.leaving.add(name);
    void this.leave(runner, cause)
      .catch((error: Error) => this.options.logger.warn(`${name}: could not leave this host: ${error.message}`))
      .finally(() => this.leaving.delete(name));
  }

  /** The agent stops: no move goes on waiting. */
  close(): void {
    this.closed = true;
  }

  /** Whether a service placed here may start now: one with data waits (bounded) until no other host holds it. */
  async canStart(service: CompiledService): Promise<boolean> {
    if (!dataOf(service)) return true;
    const { heldElsewhere, logger, placedHere, waitTimeoutMs } = this.options;
    const deadline = Date.now() + waitTimeoutMs;
    while (await heldElsewhere(service.name)) {
      if (this.closed || !placedHere(service.name)) return false;
      if (Date.now() > deadline) {
        logger.warn(
          `${service.name}: placed here, but another host still holds it after ${Math.round(waitTimeoutMs / 1000)} s: not starting a second copy`,
        );
        return false;
      }
      await delay(LOOK_EVERY_MS);
    }
    return placedHere(service.name);
  }

  private async leave(runner: ServiceRunner, cause: string): Promise<void> {
    const { executor, heldElsewhere, instancesHere, logger, placedHere, retire, waitTimeoutMs } = this.options;
    const service = runner.service;
    const provides = runner.facts.service.provides.length > 0;
    if (!dataOf(runner.facts.service)) {
      // Make before break: it serves here until the new host does (its endpoints, or for a service
      // that provides none, its agent's record), then drains as a relocation does. Its other instances
      // here are not the new host: two that counted each other would both leave with nobody serving.
      const since = Date.now();
      let said = false;
      while (!this.closed && !placedHere(service, runner.instance)) {
        if (provides ? await executor.othersProvide(runner.facts, instancesHere(service)) : await heldElsewhere(service)) break;
        if (!said && Date.now() - since > waitTimeoutMs) {
          logger.warn(`${runner.name}: ${cause}, which does not serve it yet: it keeps serving here until then`);
          said = true;
        }
        await delay(LOOK_EVERY_MS);
      }
    }
    if (this.closed || placedHere(service, runner.instance)) return;
    logger.info(`${runner.name}: ${cause}`);
    await retire(runner, cause);
  }
}
