// The soak's world on the harness (scripts/harness): an etcd member, a disco server on that etcd and
// an agent on each of the three hosts; the hello stack's web on h1 and h3 (DC A), its client on h2
// (DC B). Each long-lived process can be killed and started again as a supervisor would. scs runs as
// installed (the bundle, bin/scs.js), and each agent as systemd runs it: `scs agent` in the
// foreground, started again 100 ms after it exits. With the blog (--blog), each host runs a second
// agent, the blog's: db on h1, backup on h2, web on h3 (bench/soak/blog.ts).

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readState } from '../../src/agent/state.ts';
import { stateFolder } from '../../src/agent/state-folder.ts';
import { Respawner } from '../../test/helpers/agent-restart.ts';
import { scs } from '../../test/helpers/cli.ts';
import { ADDRESS, HARNESS, type Host, harness, harnessUpWith, tokenFile } from '../../test/helpers/harness.ts';
import { eventually } from '../../test/helpers/wait.ts';
import { BLOG_SERVICES, blogFiles, installWordPress } from './blog.ts';

export const HOSTS: readonly Host[] = ['h1', 'h2', 'h3'];
export const WEB = 'http.web.hello.dev';
export const DISCO_PORT = 9640;
export const DNS_PORT = 8600;
/** disco's timings: a silent peer is dead after 3 s, its session waits 2 s more (as the multihost tests). */
export const HEARTBEAT_TIMEOUT_MS = 3000;
export const GRACE_MS = 2000;
const DISCO_TIMING = ['--heartbeat-interval', '1s', '--heartbeat-timeout', '3s', '--grace', '2s'];
/** The stacks an agent can run: hello always, the blog with --blog. */
export type Stack = 'hello' | 'blog';
/** Which services each host's agent runs. */
export const SERVICES: Record<Host, string> = { h1: 'web', h2: 'client', h3: 'web' };
/** The file the client's live update writes on h2: the endpoints it uses. */
export const UPSTREAM_FILE = '/var/lib/scsmh/h2/docker/volumes/hello-dev-client-state/_data/upstream';
const root = fileURLToPath(new URL('../..', import.meta.url));
/** scs as installed: the bundle `npm run build` makes, not the sources through tsx (whose start alone takes half a second). */
export const BUNDLE = join(root, 'bin/scs.js');

const etcdUrl = (host: Host) => `http://${ADDRESS[host]}:2379`;
/** Every server, this host's first: an agent stays with the one beside it while it answers. */
export const discoList = (host: Host) =>
  [host, ...HOSTS.filter((other) => other !== host)].map((h) => `${ADDRESS[h]}:${DISCO_PORT}`).join(',');

/** A process the soak started on a host, with what it printed last (for the report when it fails). */
export interface Daemon {
  readonly host: Host;
  readonly kind: 'etcd' | 'disco';
  child: ChildProcess;
  log: string;
}

export class Topology {
  readonly etcd = new Map<Host, Daemon>();
  readonly disco = new Map<Host, Daemon>();
  /** Each host's agent under its supervisor. */
  readonly agents = new Map<Host, Respawner>();
  /** Each host's blog agent under its supervisor (with --blog). */
  readonly blogAgents = new Map<Host, Respawner>();

  private constructor(
    readonly dir: string,
    /** Where every daemon and agent logs, a line each with its time: the soak's folder, or one kept to study a run. */
    readonly logs: string,
    /** The blog's stack files, when the soak runs it. */
    readonly blogFiles?: readonly string[],
  ) {}

  /**
   * Builds hello's images (and the blog's), brings the harness up with them, and starts everything;
   * resolves once the client uses web (and WordPress is installed).
   */
  static async up(log: (line: string) => void, { blog = false, logs }: { blog?: boolean; logs?: string } = {}): Promise<Topology> {
    const dir = mkdtempSync(join(tmpdir(), 'scs-soak-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    if (logs) mkdirSync(logs, { recursive: true });
    const topology = new Topology(dir, logs ?? dir, blog ? blogFiles(dir) : undefined);
    log(`building scs (the bundle) and hello${blog ? ' and the blog' : ''}, and bringing the harness up`);
    await promisify(execFile)('npm', ['run', 'build'], { cwd: root });
    const blogImages = topology.blogFiles ? await buildImages(join(dir, 'blog'), 'blog', [...topology.blogFiles]) : [];
    // Each dockerd as docs/production.md runs it in production: with live-restore, a restart of the
    // daemon leaves the containers running, rather than starting them again from the environment they
    // were created with.
    await harnessUpWith(dir, 'hello', ['-f', join(dir, 'scs-stack.yaml')], { SCS_HARNESS_LIVE_RESTORE: '1' });
    if (blogImages.length > 0) {
      log(`loading the blog's images into every host (${blogImages.join(', ')})`);
      await harness('load', ...blogImages);
    }
    writeFileSync(
      join(dir, 'disco.yaml'),
      `tokens:\n  - tokenFile: ${tokenFile(dir)}\n    provide: ["*.*.*.*"]\n    require: ["*.*.*.*"]\n`,
    );
    log('starting etcd on h1, h2 and h3');
    await Promise.all(HOSTS.map((host) => topology.startEtcd(host)));
    log('starting a disco server on each host');
    await Promise.all(HOSTS.map((host) => topology.startDisco(host)));
    log('starting the agents: web on h1 and h3, the client on h2');
    await Promise.all(['h1', 'h3'].map((host) => topology.superviseAgent(host as Host)));
    await topology.superviseAgent('h2');
    if (topology.blogFiles) {
      // db first: it makes the blog's secrets (generate: true) that backup and web read.
      log('starting the blog: db on h1, then backup on h2 and web on h3');
      await topology.superviseAgent('h1', 'blog');
      await Promise.all(['h2', 'h3'].map((host) => topology.superviseAgent(host as Host, 'blog')));
      log('installing WordPress');
      await installWordPress();
    }
    return topology;
  }

  startEtcd(host: Host): Promise<void> {
    const peers = HOSTS.map((h) => `${h}=http://${ADDRESS[h]}:2380`).join(',');
    const args = [
      ...['--name', host, '--data-dir', `/var/lib/scsmh/${host}/etcd`],
      ...['--listen-client-urls', etcdUrl(host), '--advertise-client-urls', etcdUrl(host)],
      ...['--listen-peer-urls', `http://${ADDRESS[host]}:2380`, '--initial-advertise-peer-urls', `http://${ADDRESS[host]}:2380`],
      ...['--initial-cluster', peers, '--initial-cluster-state', 'new', '--initial-cluster-token', 'scs-soak'],
      // Elections within a second, across a WAN of 20 ms round trip.
      ...['--heartbeat-interval', '100', '--election-timeout', '1000'],
    ];
    return this.startDaemon(this.etcd, host, 'etcd', ['etcd', ...args], 'ready to serve client requests');
  }

  startDisco(host: Host): Promise<void> {
    const etcd = [host, ...HOSTS.filter((other) => other !== host)].map(etcdUrl).join(',');
    const args = ['disco', '--config', join(this.dir, 'disco.yaml'), '--listen', `0.0.0.0:${DISCO_PORT}`, '--dns', `0.0.0.0:${DNS_PORT}`];
    return this.startDaemon(
      this.disco,
      host,
      'disco',
      // Its debug lines (sessions lost, adopted, ended; etcd watched again) when the logs are kept.
      [process.execPath, BUNDLE, ...args, '--etcd', etcd, ...DISCO_TIMING, ...(this.logs === this.dir ? [] : ['--debug'])],
      'listening on tcp',
    );
  }

  private startDaemon(map: Map<Host, Daemon>, host: Host, kind: Daemon['kind'], command: string[], ready: string): Promise<void> {
    // `harness run` execs down to the command, so the child's pid is the daemon's own.
    const child = spawn(HARNESS, ['run', host, ...command], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon: Daemon = { host, kind, child, log: '' };
    map.set(host, daemon);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind} on ${host} did not start: ${daemon.log.slice(-800)}`)), 60_000);
      const file = join(this.logs, `${kind}-${host}.log`);
      const take = (text: Buffer) => {
        daemon.log = (daemon.log + text.toString()).slice(-20_000);
        const at = new Date().toISOString();
        appendFileSync(file, text.toString().replace(/^(?=.)/gm, `${at} `));
        if (daemon.log.includes(ready)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', take);
      child.stderr!.on('data', take);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${kind} on ${host} exited (${code ?? signal}): ${daemon.log.slice(-800)}`));
      });
    });
  }

  /** `scs agent` of the host's services of a stack under a supervisor (restart 100 ms after an exit); resolves once it has them up. */
  async superviseAgent(host: Host, stack: Stack = 'hello'): Promise<void> {
    const blog = stack === 'blog';
    const files = blog ? [...this.blogFiles!] : ['-f', join(this.dir, 'scs-stack.yaml')];
    const extra = host === 'h2' && !blog ? ['--debounce', '100ms'] : [];
    const service = blog ? BLOG_SERVICES[host] : SERVICES[host];
    const agent = new Respawner(
      ['agent', ...extra, service, ...files, '--disco', discoList(host)],
      join(this.logs, blog ? `agent-blog-${host}.log` : `agent-${host}.log`),
      BUNDLE,
      {
        via: [HARNESS, 'run', host],
        cwd: blog ? join(this.dir, 'blog') : this.dir,
        env: { ...this.stateEnv, SCS_TOKEN_FILE: tokenFile(this.dir) },
      },
    );
    (blog ? this.blogAgents : this.agents).set(host, agent);
    agent.start();
    // The blog's first start on a host also creates its volumes and, for db, its data folder.
    await this.agentUp(host, stack, blog ? 180_000 : 60_000);
  }

  /**
   * Waits (at most a minute by default) for the agent of a stack its supervisor runs now to have the
   * host's services up; its pid. After a kill, `killed` is the dead agent's pid, which the supervisor
   * and the state folder still show until the successor starts.
   */
  agentUp(host: Host, stack: Stack = 'hello', timeoutMs = 60_000, killed?: number): Promise<number> {
    const agent = (stack === 'blog' ? this.blogAgents : this.agents).get(host)!;
    return eventually(
      () => successorUp(readState(stateFolder(host, stack, this.stateEnv)), agent.pid, killed),
      timeoutMs,
      `the ${stack} agent on ${host} to bring ${stack === 'blog' ? BLOG_SERVICES[host] : SERVICES[host]} up`,
    );
  }

  /** The agents keep their state in the soak's folder, not the user's (each host's agent is its own project). */
  private get stateEnv(): { SCS_STATE_DIR: string } {
    return { SCS_STATE_DIR: join(this.dir, 'state') };
  }

  /** The pid of the host's agent of a stack, from the state it keeps in its state folder. */
  agentPid(host: Host, stack: Stack = 'hello'): number | undefined {
    return readState(stateFolder(host, stack, this.stateEnv))?.pid;
  }

  /** Every long-lived process the soak started (and the daemons), by a name for the report. */
  processes(): Map<string, number> {
    const pids = new Map<string, number>();
    for (const host of HOSTS) {
      const etcd = this.etcd.get(host)?.child.pid;
      const disco = this.disco.get(host)?.child.pid;
      const agent = this.agentPid(host);
      if (etcd) pids.set(`etcd@${host}`, etcd);
      if (disco) pids.set(`disco@${host}`, disco);
      if (agent) pids.set(`agent@${host}`, agent);
      const blogAgent = this.blogFiles ? this.agentPid(host, 'blog') : undefined;
      if (blogAgent) pids.set(`blog agent@${host}`, blogAgent);
      try {
        pids.set(`dockerd@${host}`, Number(readFileSync(`/run/scsmh/${host}/docker.pid`, 'utf8')));
      } catch {}
    }
    return pids;
  }

  async down(): Promise<void> {
    // No more restarts; what runs goes with the harness.
    await Promise.all([...this.agents.values(), ...this.blogAgents.values()].map((agent) => agent.stop()));
    for (const daemon of [...this.disco.values(), ...this.etcd.values()]) daemon.child.kill('SIGKILL');
    await harness('down');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The pid of the agent a supervisor runs now (`supervised`), once its state says it has its services
 * up; false until then. Right after a kill, the supervisor's pid and the state are still the killed
 * agent's (the successor starts 100 ms after the exit), so `killed` is never taken for the successor.
 */
export function successorUp(
  state: { readonly pid: number; readonly phase: string } | undefined,
  supervised: number | undefined,
  killed?: number,
): number | false {
  return state !== undefined && state.pid === supervised && state.pid !== killed && state.phase === 'running' && state.pid;
}

/** Builds a stack's images here (`scs build`), to load into the hosts; their names. */
async function buildImages(cwd: string, stack: string, files: string[]): Promise<string[]> {
  const build = scs(['build', ...files], {}, cwd);
  if ((await build.exited) !== 0) throw new Error(`scs build of ${stack} failed:\n${build.stderr}`);
  return [...new Set(`${build.stdout}${build.stderr}`.match(new RegExp(`scs/${stack}-[a-z]+:[0-9a-f]+`, 'g')) ?? [])];
}
