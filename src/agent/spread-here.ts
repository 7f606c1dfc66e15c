// Which instances of a spread service (`spread:`) this agent runs: those src/placement/spread.ts
// assigns to its host, from the live members of its stack that may run the service. Every agent
// reads the same members from disco and makes the same assignment, so the instances are shared
// without a leader. The members are read again every few seconds (and after every reconnect) once a
// spread service asks, and a change of the assignment is told, for the agent to start or hand over
// instances.

import type { ConsolaInstance } from 'consola';
import type { CompiledService } from '../manifest/compiled.ts';
import { type SpreadPlan, spreadPlan } from '../placement/spread.ts';
import type { Member } from '../protocol/member.ts';
import { formatTarget, type PlacedMember, type Placement } from '../protocol/placement.ts';

/** How often the members are read again: a host that went is seen within its heartbeat timeout and this. */
export const MEMBERS_EVERY_MS = 2000;

export interface SpreadHereOptions {
  /** This agent: always one of the members, whether or not disco lists it yet. */
  readonly me: PlacedMember & { readonly given?: readonly string[] };
  /** The live members of the stack, as disco lists them now. */
  readonly list: () => Promise<Member[]>;
  /** Runs `listener` after every (re)connection to disco, until the returned function is called. */
  readonly onConnected: (listener: () => void) => () => void;
  /** The stored placement of a service (by its name in the stack), whose target picks the hosts that may run it. */
  readonly placementOf: (service: string) => Placement | undefined;
  readonly logger: ConsolaInstance;
  readonly everyMs?: number;
}

export class SpreadHere {
  private members: readonly Member[] = [];
  /** What of `members` a plan reads, to tell a change from a read that found the same. */
  private membersKey = '[]';
  /** Each spread service's last plan (one per service, dropped when the members change), with what it was made from. */
  private readonly plans = new Map<string, { key: string; plan: SpreadPlan }>();
  private timer: NodeJS.Timeout | undefined;
  private stopConnected: (() => void) | undefined;
  private reading: Promise<void> | undefined;
  private first: Promise<void> | undefined;
  private closed = false;
  /** A refusal (a token that may not observe the stack) is said once. */
  private warned = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: SpreadHereOptions) {}

  /** Reads the members, the first time a spread service is among `services`; resolves once they are read (or could not be). */
  ready(services: readonly CompiledService[]): Promise<void> {
    if (!services.some((service) => service.spread)) return Promise.resolve();
    return this.follow();
  }

  /**
   * How `service`'s `count` instances spread, or undefined when it does not spread. Asked on every
   * save and every look of a move, so each service's last plan is kept until its inputs change.
   */
  plan(service: CompiledService, count: number): SpreadPlan | undefined {
    if (!service.spread) return undefined;
    void this.follow();
    const { me, placementOf } = this.options;
    const target = placementOf(service.name)?.target;
    const key = JSON.stringify([count, service.spread, target ? formatTarget(target) : null]);
    const kept = this.plans.get(service.name);
    if (kept?.key === key) return kept.plan;
    const plan = spreadPlan(service, count, me, this.members, target);
    if (plan) this.plans.set(service.name, { key, plan });
    return plan;
  }

  /** Calls `listener` after every change of the members, until the returned function is called. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.stopConnected?.();
  }

  /** Starts reading the members, once: the first spread service asks. */
  private follow(): Promise<void> {
    if (!this.first) {
      this.stopConnected = this.options.onConnected(() => void this.read());
      this.first = this.read();
    }
    return this.first;
  }

  private read(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.reading ??= this.readOnce().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    clearTimeout(this.timer);
    try {
      const members = await this.options.list();
      const key = JSON.stringify(members.map(({ host, attrs, phase, given }) => [host, attrs, phase, given]).sort());
      if (key === this.membersKey) return;
      this.members = members;
      this.membersKey = key;
      this.plans.clear();
      for (const listener of this.listeners) listener();
    } catch (error) {
      // The last list stands until the next read: a disco away for a moment moves no instance. A token
      // that may not observe the stack (docs/production.md) is said once: alone, each host runs them all.
      const code = (error as { code?: string }).code;
      const message = `the members of the stack cannot be read here (${(error as Error).message}): a spread service runs as if this host were alone`;
      if ((code === 'forbidden' || code === 'bad_request') && !this.warned) this.options.logger.warn(message);
      else this.options.logger.debug(message);
      this.warned ||= code === 'forbidden' || code === 'bad_request';
    } finally {
      if (!this.closed) this.timer = setTimeout(() => void this.read(), this.options.everyMs ?? MEMBERS_EVERY_MS);
    }
  }
}
