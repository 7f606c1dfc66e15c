// Discovery in memory, over the real registry (which is pure): what the agent's fast tests provide
// and require through. Changes reach watchers asynchronously, as they would over a socket. It is never
// away by itself; a test says `connected` or `disconnected` (DiscoClient's events) to play an outage.

import { EventEmitter } from 'node:events';
import type { Discovery } from '../../src/agent/discovery.ts';
import type { Endpoint, ProvideSpec, ProvisionHandle, RequireSpec, Watch, WatchEvent } from '../../src/client/client.ts';
import { sortEndpoints } from '../../src/client/view.ts';
import { Registry } from '../../src/registry/registry.ts';
import type { Change } from '../../src/registry/types.ts';
import { toWireEndpoint } from '../../src/server/endpoint.ts';

interface Watcher {
  readonly view: Map<string, Endpoint>;
  readonly onChange: (event: WatchEvent) => void;
}

export class MemoryDisco extends EventEmitter<{ connected: []; disconnected: [] }> implements Discovery {
  readonly registry = new Registry();
  private readonly watchers = new Map<string, Watcher>();
  private nextKey = 1;

  /** `log`, when given, gets a line for each provide and drop: pass a FakeEngine's calls to see one sequence. */
  constructor(private readonly log?: string[]) {
    super();
  }

  async provide(spec: ProvideSpec): Promise<ProvisionHandle> {
    const { provision, changes } = this.registry.provide({
      name: spec.name,
      address: { host: spec.host, port: spec.port, protocol: spec.protocol ?? 'tcp' },
      attributes: spec.attrs ?? {},
      owner: 'memory',
    });
    this.log?.push(`provide ${spec.name} ${spec.host}:${spec.port}`);
    this.deliver(changes);
    return {
      key: `p${this.nextKey++}`,
      spec,
      id: provision.id,
      drop: async () => {
        this.log?.push(`drop ${spec.name}`);
        this.deliver(this.registry.drop(provision.id));
      },
    };
  }

  async list(name: string): Promise<Endpoint[]> {
    return this.registry.lookup(name).map(toWireEndpoint);
  }

  async require(spec: RequireSpec, onChange: (event: WatchEvent) => void = () => {}): Promise<Watch> {
    const { requirement, endpoints } = this.registry.require({ name: spec.name, filter: spec.attrs ?? {}, owner: 'memory' });
    const watcher: Watcher = { view: new Map(endpoints.map((p) => [p.id, toWireEndpoint(p)])), onChange };
    this.watchers.set(requirement.id, watcher);
    return {
      key: requirement.id,
      spec,
      get endpoints() {
        return sortEndpoints(watcher.view.values());
      },
      close: async () => {
        this.watchers.delete(requirement.id);
        this.registry.unrequire(requirement.id);
      },
    };
  }

  /** Provides an endpoint from outside the agent (another host, say); returns its drop. */
  async place(name: string, host: string, port: number): Promise<() => Promise<void>> {
    const handle = await this.provide({ name, host, port });
    return () => handle.drop();
  }

  private deliver(changes: Change[]): void {
    const byRequirement = new Map<string, Change[]>();
    for (const change of changes) byRequirement.set(change.requirement.id, [...(byRequirement.get(change.requirement.id) ?? []), change]);
    for (const [id, batch] of byRequirement) {
      setImmediate(() => {
        const watcher = this.watchers.get(id);
        if (!watcher) return;
        const add: Endpoint[] = [];
        const drop: Endpoint[] = [];
        for (const change of batch) {
          const endpoint = toWireEndpoint(change.provision);
          if (change.kind === 'add') {
            watcher.view.set(endpoint.id, endpoint);
            add.push(endpoint);
          } else if (watcher.view.delete(endpoint.id)) {
            drop.push(endpoint);
          }
        }
        watcher.onChange({ add, drop, endpoints: sortEndpoints(watcher.view.values()) });
      });
    }
  }
}
