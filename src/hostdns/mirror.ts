// What the host's DNS answers from: disco's registry as a wildcard watch delivers it. A watch keeps its
// endpoints while disco is away and reconciles them when it is back, so the mirror, and every answer
// made from it, keeps the last known state through a disco restart instead of emptying.
//
// One policy on top, the agent's own `--hold` rule (src/agent/urgency.ts): when a drop would leave a
// name with no endpoint at all, the dropped endpoints stay a short, bounded time. A provider that
// restarts in place keeps its container address, so a fixed-port client that resolves it during the
// restart connects as soon as the process listens again, instead of finding no address until scs has
// seen it healthy and provided it again. Any endpoint of that name arriving ends the hold at once.
// A hold waits for that provide, which only disco can bring: while disco is away no hold runs out, and
// each runs its whole time again once disco is back. Otherwise a provider that restarted just as disco
// went would vanish from this host's DNS for the rest of the outage, although it runs.

import type { Endpoint, WatchEvent } from '../client/client.ts';
import type { RegistryReader } from '../registry/reader.ts';
import type { Provision } from '../registry/types.ts';

type Listener = (kind: 'add' | 'drop', provision: Provision) => void;

export function provisionOf(endpoint: Endpoint): Provision {
  return {
    id: endpoint.id,
    name: endpoint.name,
    address: { host: endpoint.host, port: endpoint.port, protocol: endpoint.protocol },
    attributes: endpoint.attrs,
    owner: '',
  };
}

export interface MirrorOptions {
  /** How long the last endpoints of a name outlive their drop; 0 drops at once. */
  readonly holdMs?: number;
  /** Injected by tests. */
  readonly setTimer?: (run: () => void, ms: number) => Timer;
}

type Timer = { cancel(): void };

/** The timer of a hold made while disco is away: none yet. */
const NO_TIMER: Timer = { cancel: () => {} };

const realTimer = (run: () => void, ms: number) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
};

export class RegistryMirror implements RegistryReader {
  private readonly provisions = new Map<string, Provision>();
  /** How many provisions each name has: whether a drop empties it, without a scan of the registry. */
  private readonly perName = new Map<string, number>();
  /** Dropped by disco, still answered: name → the held provisions and the timer that ends them. */
  private readonly held = new Map<string, { ids: string[]; timer: Timer }>();
  /** Disco cannot be heard: holds wait for it rather than run out. */
  private away = false;
  private readonly listeners: Listener[] = [];
  private generation = 0;
  private readonly holdMs: number;
  private readonly setTimer: NonNullable<MirrorOptions['setTimer']>;

  constructor(initial: readonly Endpoint[] = [], options: MirrorOptions = {}) {
    for (const endpoint of initial) this.put(provisionOf(endpoint));
    this.holdMs = options.holdMs ?? 0;
    this.setTimer = options.setTimer ?? realTimer;
  }

  get version(): number {
    return this.generation;
  }

  get size(): number {
    return this.provisions.size;
  }

  list(): Provision[] {
    return [...this.provisions.values()];
  }

  addListener(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** One `changed` of the watch. */
  apply(event: Pick<WatchEvent, 'add' | 'drop'>): void {
    const dropping = new Map<string, number>();
    for (const endpoint of event.drop) {
      const provision = this.provisions.get(endpoint.id);
      if (provision) dropping.set(provision.name, (dropping.get(provision.name) ?? 0) + 1);
    }
    // A name that gets an endpoint in this same change is not left empty: its drops go at once, before
    // the adds (an endpoint may come back with its id, at a new address, and must not then be removed).
    const adding = new Set(event.add.map((endpoint) => endpoint.name));
    const emptied = new Map<string, string[]>();
    for (const endpoint of event.drop) {
      const provision = this.provisions.get(endpoint.id);
      if (!provision || this.isHeld(provision)) continue;
      const others = (this.perName.get(provision.name) ?? 0) > dropping.get(provision.name)! || adding.has(provision.name);
      if (this.holdMs > 0 && !others) {
        emptied.set(provision.name, [...(emptied.get(provision.name) ?? []), provision.id]);
        continue;
      }
      this.remove(provision.id);
    }
    for (const endpoint of event.add) {
      this.release(endpoint.name);
      const provision = provisionOf(endpoint);
      this.put(provision);
      this.changed('add', provision);
    }
    for (const [name, ids] of emptied) this.held.set(name, { ids, timer: this.away ? NO_TIMER : this.holdTimer(name) });
  }

  /** The connection to disco is lost: what is held stays until disco is back and has had its hold's time to bring the name again. */
  discoAway(): void {
    this.away = true;
    for (const hold of this.held.values()) {
      hold.timer.cancel();
      hold.timer = NO_TIMER;
    }
  }

  /** Disco is heard again: each hold runs for its whole time from now, the time the name's provide needs to reach us. */
  discoBack(): void {
    if (!this.away) return;
    this.away = false;
    for (const [name, hold] of this.held) hold.timer = this.holdTimer(name);
  }

  private holdTimer(name: string): Timer {
    return this.setTimer(() => this.release(name), this.holdMs);
  }

  /** Ends the hold of a name: its held provisions go now. */
  private release(name: string): void {
    const hold = this.held.get(name);
    if (!hold) return;
    this.held.delete(name);
    hold.timer.cancel();
    for (const id of hold.ids) this.remove(id);
  }

  private isHeld(provision: Provision): boolean {
    return this.held.get(provision.name)?.ids.includes(provision.id) ?? false;
  }

  private put(provision: Provision): void {
    if (!this.provisions.has(provision.id)) this.perName.set(provision.name, (this.perName.get(provision.name) ?? 0) + 1);
    this.provisions.set(provision.id, provision);
  }

  private remove(id: string): void {
    const provision = this.provisions.get(id);
    if (!provision) return;
    this.provisions.delete(id);
    const left = this.perName.get(provision.name)! - 1;
    if (left > 0) this.perName.set(provision.name, left);
    else this.perName.delete(provision.name);
    this.changed('drop', provision);
  }

  private changed(kind: 'add' | 'drop', provision: Provision): void {
    this.generation++;
    for (const listener of this.listeners) listener(kind, provision);
  }
}
