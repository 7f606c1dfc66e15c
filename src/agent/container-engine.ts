// What the agent needs of a container engine, and nothing more. src/docker/ implements it on the
// Docker Engine; tests implement it in memory, so the planner and the runners are checked in
// milliseconds while the real-daemon tests keep checking the real thing.

export interface ContainerSpec {
  name: string;
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Container ports to publish: `8080/tcp` → host port ('' for any free one). */
  publish: Record<string, string>;
  /** The host addresses each published port listens on (`8080/tcp` → ['127.0.0.1', '10.0.0.5']); every interface when absent. */
  publishOn?: Record<string, string[]>;
  network: 'bridge' | 'host' | 'none';
  /** The user-defined network a bridge container joins (the stack network); Docker's default bridge when absent. */
  networkName?: string;
  /** The resolver it is created with (docs/dns.md); Docker's own when absent. */
  dns?: ContainerDns;
  restart: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  mounts: Array<{ type: 'volume' | 'bind'; source: string; target: string; readOnly?: boolean }>;
}

export interface ContainerDns {
  servers: string[];
  search: string[];
  options: string[];
}

/** A network as containers see it: their gateway is the host. */
export interface NetworkInfo {
  gateway: string;
  /** CIDR, e.g. 172.18.0.0/16. */
  subnet: string;
}

export interface ContainerInfo {
  id: string;
  name: string;
  running: boolean;
  /** When it last started: with the id, this tells one run of a container from the next. */
  startedAt: string;
  status: string;
  health: string | undefined;
  labels: Record<string, string>;
  /** The environment it was created with (a live update changes what runs, not this). */
  env: Record<string, string>;
  ip: string | undefined;
  /** `8080/tcp` → published host port. */
  ports: Record<string, number>;
  exitCode: number;
  /** Its main process on the host, while it runs: a way into its network namespace. */
  pid?: number;
}

export interface ContainerSummary {
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
}

export interface ContainerEvent {
  id: string;
  action: string;
  labels: Record<string, string>;
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

export interface ContainerEngine {
  list(labels: Record<string, string>): Promise<ContainerSummary[]>;
  inspect(id: string): Promise<ContainerInfo | undefined>;
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  stop(id: string, seconds?: number): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  /** Removes a container, running or not; a missing one is no error. Never removes volumes. */
  remove(id: string): Promise<void>;
  exec(id: string, command: string[], env: Record<string, string>, timeoutMs?: number): Promise<ExecResult>;
  /** Streams container events of the containers with these labels; returns a function that stops it. */
  events(labels: Record<string, string>, onEvent: (event: ContainerEvent) => void): Promise<() => void>;
  /** The last lines a container printed, for error messages about it. */
  tail(id: string, lines?: number): Promise<string>;
  ensureVolume(name: string, labels: Record<string, string>, driver?: { driver: string; options: Record<string, string> }): Promise<void>;
  volumeExists(name: string): Promise<boolean>;
  removeVolume(name: string): Promise<void>;
  /** A volume's labels; undefined when there is no such volume. */
  volumeLabels(name: string): Promise<Record<string, string> | undefined>;
  /** Where a network's gateway is; undefined when there is no such network. */
  networkInfo(name: string): Promise<NetworkInfo | undefined>;
  /** Creates the bridge network when it is missing; either way says where its gateway is. */
  ensureNetwork(name: string, labels: Record<string, string>, pinned?: NetworkInfo): Promise<NetworkInfo>;
  /** Removes a network; false when containers still use it (or it is gone already). */
  removeNetwork(name: string): Promise<boolean>;
}
