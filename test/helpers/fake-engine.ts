// An in-memory container engine for the agent's fast tests. It keeps containers as Docker would
// (names unique, ids new on every create) and writes each change it is asked for into `calls`,
// so a test reads what the agent did as one line of text.

import type {
  ContainerEngine,
  ContainerEvent,
  ContainerInfo,
  ContainerSpec,
  ContainerSummary,
  ExecResult,
  NetworkInfo,
} from '../../src/agent/container-engine.ts';
import { serviceLabelOf } from '../../src/docker/labels.ts';
import type { DockerVolumeDriver } from '../../src/volumes/provisioner.ts';

interface FakeContainer {
  readonly id: string;
  readonly spec: ContainerSpec;
  running: boolean;
  starts: number;
  health: string | undefined;
  exitCode: number;
  readonly ports: Record<string, number>;
}

type ExecHandler = (container: string, command: string[], env: Record<string, string>) => ExecResult | Promise<ExecResult>;

export class FakeEngine implements ContainerEngine {
  readonly calls: string[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly volumes = new Set<string>();
  /** The labels each volume was made with; one added to `volumes` by a test directly has none. */
  readonly volumeLabelsByName = new Map<string, Record<string, string>>();
  /** What `exec` answers; by default every command succeeds. */
  onExec: ExecHandler = () => ({ exitCode: 0, output: '' });
  /** Health a container of an image with a healthcheck starts in. */
  healthOnStart: string | undefined = undefined;
  private nextId = 1;
  private nextPort = 32768;
  private readonly listeners = new Set<{ labels: Record<string, string>; onEvent: (event: ContainerEvent) => void }>();

  /** The calls so far, as the text a test compares: `create c1, start c1, exec c1`. */
  trace(): string {
    return this.calls.join(', ');
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    return [...this.containers.values()]
      .filter((c) => matches(c.spec.labels, labels))
      .map((c) => ({ id: c.id, name: c.spec.name, state: c.running ? 'running' : 'exited', labels: c.spec.labels }));
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    const c = this.containers.get(id);
    if (!c) return undefined;
    return {
      id: c.id,
      name: c.spec.name,
      running: c.running,
      startedAt: `start ${c.starts}`,
      status: c.running ? 'running' : 'exited',
      health: c.running ? c.health : undefined,
      labels: { ...c.spec.labels },
      env: { ...c.spec.env },
      ip: c.running ? '172.30.0.2' : undefined,
      ports: c.running ? { ...c.ports } : {},
      exitCode: c.exitCode,
    };
  }

  async create(spec: ContainerSpec): Promise<string> {
    const id = `c${this.nextId++}`;
    this.calls.push(`create ${id}`);
    for (const other of this.containers.values()) {
      if (other.spec.name === spec.name)
        throw new Error(`Conflict. The container name "/${spec.name}" is already in use by container "${other.id}"`);
    }
    const ports: Record<string, number> = {};
    for (const [port, host] of Object.entries(spec.publish)) ports[port] = host ? Number(host) : this.nextPort++;
    this.containers.set(id, { id, spec: structuredClone(spec), running: false, starts: 0, health: undefined, exitCode: 0, ports });
    return id;
  }

  async start(id: string): Promise<void> {
    this.calls.push(`start ${id}`);
    const c = this.must(id);
    c.running = true;
    c.starts++;
    c.health = this.healthOnStart;
    this.emit(c, 'start');
  }

  async stop(id: string): Promise<void> {
    this.calls.push(`stop ${id}`);
    const c = this.containers.get(id);
    if (!c?.running) return;
    c.running = false;
    c.exitCode = 143;
    this.emit(c, 'die');
  }

  async rename(id: string, name: string): Promise<void> {
    this.calls.push(`rename ${id} ${name}`);
    const c = this.must(id);
    for (const other of this.containers.values()) {
      if (other !== c && other.spec.name === name)
        throw new Error(`Conflict. The container name "/${name}" is already in use by container "${other.id}"`);
    }
    c.spec.name = name;
  }

  async remove(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
    const c = this.containers.get(id);
    if (!c) return;
    if (c.running) {
      c.running = false;
      this.emit(c, 'die');
    }
    this.containers.delete(id);
  }

  async exec(id: string, command: string[], env: Record<string, string>): Promise<ExecResult> {
    this.calls.push(`exec ${id}`);
    if (!this.must(id).running) throw new Error(`container ${id} is not running`);
    return this.onExec(id, command, env);
  }

  async events(labels: Record<string, string>, onEvent: (event: ContainerEvent) => void): Promise<() => void> {
    const listener = { labels, onEvent };
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async tail(): Promise<string> {
    return '';
  }

  /** The driver options each volume was made with, as Docker keeps them. */
  readonly volumeDrivers = new Map<string, Record<string, string>>();

  async ensureVolume(name: string, labels: Record<string, string>, driver?: DockerVolumeDriver): Promise<void> {
    if (!this.volumes.has(name) && driver) this.volumeDrivers.set(name, driver.options);
    if (!this.volumes.has(name)) this.volumeLabelsByName.set(name, { ...labels });
    this.volumes.add(name);
  }

  async volumeOptions(name: string): Promise<Record<string, string> | undefined> {
    return this.volumes.has(name) ? (this.volumeDrivers.get(name) ?? {}) : undefined;
  }

  async volumeLabels(name: string): Promise<Record<string, string> | undefined> {
    return this.volumes.has(name) ? (this.volumeLabelsByName.get(name) ?? {}) : undefined;
  }

  async volumeExists(name: string): Promise<boolean> {
    return this.volumes.has(name);
  }

  async removeVolume(name: string): Promise<void> {
    this.calls.push(`remove-volume ${name}`);
    this.volumes.delete(name);
    this.volumeDrivers.delete(name);
  }

  readonly networks = new Set<string>();

  async networkInfo(name: string): Promise<NetworkInfo | undefined> {
    return this.networks.has(name) ? { gateway: '172.30.0.1', subnet: '172.30.0.0/16' } : undefined;
  }

  async ensureNetwork(name: string, _labels?: Record<string, string>, pinned?: NetworkInfo): Promise<NetworkInfo> {
    this.networks.add(name);
    return pinned ?? { gateway: '172.30.0.1', subnet: '172.30.0.0/16' };
  }

  async removeNetwork(name: string): Promise<boolean> {
    const inUse = [...this.containers.values()].some((c) => c.spec.networkName === name);
    if (inUse || !this.networks.has(name)) return false;
    this.calls.push(`remove-network ${name}`);
    return this.networks.delete(name);
  }

  /** What a crash looks like from outside: the process exits, Docker says `die`. */
  kill(id: string, exitCode = 137): void {
    this.calls.push(`kill ${id}`);
    const c = this.must(id);
    c.running = false;
    c.exitCode = exitCode;
    this.emit(c, 'die');
  }

  /** Docker restarting a container by its restart policy, or a user's `docker start`: published ports may change. */
  restart(id: string, { newPorts = false } = {}): void {
    const c = this.must(id);
    if (newPorts) for (const port of Object.keys(c.ports)) if (!c.spec.publish[port]) c.ports[port] = this.nextPort++;
    c.running = true;
    c.starts++;
    c.health = this.healthOnStart;
    this.emit(c, 'start');
  }

  setHealth(id: string, health: 'healthy' | 'unhealthy'): void {
    const c = this.must(id);
    c.health = health;
    this.emit(c, `health_status: ${health}`);
  }

  /** The one container of a service, by its labels. */
  byService(service: string): FakeContainer | undefined {
    return [...this.containers.values()].find((c) => serviceLabelOf(c.spec.labels) === service);
  }

  private must(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new Error(`no such container: ${id}`);
    return c;
  }

  private emit(c: FakeContainer, action: string): void {
    // Docker delivers events asynchronously, after the call that caused them has returned.
    const event = { id: c.id, action, labels: { ...c.spec.labels } };
    setImmediate(() => {
      for (const listener of this.listeners) if (matches(event.labels, listener.labels)) listener.onEvent(event);
    });
  }
}

function matches(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

/** The fake engine with what the agent process asks of Docker besides: a ping, images that exist, the bridge. */
export class ProcessEngine extends FakeEngine {
  async ping(): Promise<void> {}
  async imageExists(): Promise<boolean> {
    return true;
  }
  async build(): Promise<void> {
    throw new Error('nothing is built here');
  }
  async bridgeGateway(): Promise<string | undefined> {
    return '192.0.2.1';
  }
  async followLogs(): Promise<() => void> {
    return () => {};
  }
}
