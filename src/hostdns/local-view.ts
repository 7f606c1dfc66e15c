// Split horizon: the registry as a container on this host's stack network should see it. Endpoints of
// this host's own containers carry the container's address and port, where the image's declared port
// works for a fixed-port client; every other endpoint keeps its advertised address. Pure: the table of
// local endpoints is handed in, and `refresh` is called when it may have changed.

import type { RegistryReader } from '../registry/reader.ts';
import type { Address, Provision } from '../registry/types.ts';

/** An endpoint of a container on this host: as disco has it, and where it is on the stack network. */
export interface LocalEndpoint {
  readonly name: string;
  readonly advertised: Address;
  readonly container: Address;
}

type Listener = (kind: 'add' | 'drop', provision: Provision) => void;

const keyOf = (name: string, address: Address) => `${name} ${address.protocol} ${address.host} ${address.port}`;

export class LocalView implements RegistryReader {
  private table = new Map<string, Address>();
  private readonly listeners: Listener[] = [];
  private generation = 0;

  constructor(
    private readonly registry: RegistryReader,
    private readonly localEndpoints: () => readonly LocalEndpoint[],
  ) {
    this.table = this.read();
    registry.addListener((kind, provision) => {
      this.generation++;
      // A drop is told at the address it was answered at; an add may have been provided just now, and
      // its container address is read first.
      const dropped = kind === 'drop' ? this.localize(provision) : undefined;
      this.refresh();
      for (const listener of this.listeners) listener(kind, dropped ?? this.localize(provision));
    });
  }

  get version(): number {
    return this.registry.version + this.generation;
  }

  list(): Provision[] {
    return this.registry.list().map((provision) => this.localize(provision));
  }

  addListener(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Reads the table again; the names of endpoints whose local address changed answer afresh. */
  refresh(): void {
    const next = this.read();
    // The agent forgets an endpoint as soon as its container dies; while the mirror still holds it
    // (a restart in place), it is still that container's, at the same address. The registry is read
    // only when the table lost an entry, not on every change.
    const forgotten = [...this.table.keys()].filter((key) => !next.has(key));
    if (forgotten.length > 0) {
      const still = new Set(this.registry.list().map((provision) => keyOf(provision.name, provision.address)));
      for (const key of forgotten) if (still.has(key)) next.set(key, this.table.get(key)!);
    }
    const changed = new Set<string>();
    for (const [key, address] of next) if (!sameAddress(this.table.get(key), address)) changed.add(key);
    for (const key of this.table.keys()) if (!next.has(key)) changed.add(key);
    if (changed.size === 0) return;
    this.table = next;
    this.generation++;
    for (const provision of this.registry.list()) {
      if (!changed.has(keyOf(provision.name, provision.address))) continue;
      for (const listener of this.listeners) listener('add', this.localize(provision));
    }
  }

  private localize(provision: Provision): Provision {
    const local = this.table.get(keyOf(provision.name, provision.address));
    return local ? { ...provision, address: local } : provision;
  }

  private read(): Map<string, Address> {
    return new Map(this.localEndpoints().map((endpoint) => [keyOf(endpoint.name, endpoint.advertised), endpoint.container]));
  }
}

function sameAddress(a: Address | undefined, b: Address): boolean {
  return a !== undefined && a.host === b.host && a.port === b.port && a.protocol === b.protocol;
}
