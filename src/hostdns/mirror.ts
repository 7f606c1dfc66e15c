// What the host's DNS answers from: disco's registry as a wildcard watch delivers it. A watch keeps its
// endpoints while disco is away and reconciles them when it is back, so the mirror, and every answer
// made from it, keeps the last known state through a disco restart instead of emptying.

import type { RegistryReader } from '../../dns/server.ts';
import type { Endpoint, WatchEvent } from '../client/client.ts';
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

export class RegistryMirror implements RegistryReader {
  private readonly provisions = new Map<string, Provision>();
  private readonly listeners: Listener[] = [];
  private generation = 0;

  constructor(initial: readonly Endpoint[] = []) {
    for (const endpoint of initial) this.provisions.set(endpoint.id, provisionOf(endpoint));
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
    for (const endpoint of event.drop) {
      const provision = this.provisions.get(endpoint.id);
      if (!provision) continue;
      this.provisions.delete(endpoint.id);
      this.generation++;
      for (const listener of this.listeners) listener('drop', provision);
    }
    for (const endpoint of event.add) {
      const provision = provisionOf(endpoint);
      this.provisions.set(endpoint.id, provision);
      this.generation++;
      for (const listener of this.listeners) listener('add', provision);
    }
  }
}
