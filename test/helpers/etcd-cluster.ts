// A real etcd cluster of three members on loopback (Debian's etcd-server), data in a temporary folder.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portsOutsideEphemeral, retryOnAddressInUse } from './ports.ts';

/** Debian's etcd-server; the etcd tests are skipped, and say so, without it. */
export const ETCD = existsSync('/usr/bin/etcd');

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly args: string[];
  child: ChildProcess;
}

/** How the members serve their clients: TLS with these files (client certificates required), and any other flags. */
export interface EtcdSecurity {
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
  readonly args?: readonly string[];
}

export class EtcdCluster {
  private constructor(
    readonly members: EtcdMember[],
    private readonly dataDir: string,
  ) {}

  get urls(): string[] {
    return this.members.map((member) => member.clientUrl);
  }

  /**
   * Its members' ports come from outside the ephemeral range (--initial-cluster names every peer port
   * up front, and a restarted member binds its own again); when one is taken all the same, the whole
   * cluster starts again on others.
   */
  static start(size = 3, security: EtcdSecurity = {}): Promise<EtcdCluster> {
    return retryOnAddressInUse(() => EtcdCluster.startOn(portsOutsideEphemeral(2 * size), security));
  }

  private static async startOn(free: number[], { tls, args: more = [] }: EtcdSecurity): Promise<EtcdCluster> {
    const dataDir = mkdtempSync(join(tmpdir(), 'scs-etcd-'));
    const ports = [];
    for (let i = 0; i < free.length / 2; i++) ports.push({ client: free[2 * i]!, peer: free[2 * i + 1]! });
    const initial = ports.map((port, i) => `m${i}=http://127.0.0.1:${port.peer}`).join(',');
    const members = ports.map((port, i): EtcdMember => {
      const clientUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${port.client}`;
      const peerUrl = `http://127.0.0.1:${port.peer}`;
      const args = [
        ...['--name', `m${i}`, '--data-dir', join(dataDir, `m${i}`)],
        ...['--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl],
        ...['--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl],
        ...['--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', dataDir],
        // Quick elections, so that a killed leader is replaced within a test's patience.
        ...['--heartbeat-interval', '50', '--election-timeout', '500'],
        ...(tls ? ['--cert-file', tls.cert, '--key-file', tls.key, '--trusted-ca-file', tls.ca, '--client-cert-auth'] : []),
        ...more,
      ];
      return { name: `m${i}`, clientUrl, args, child: spawnMember(args) };
    });
    const cluster = new EtcdCluster(members, dataDir);
    try {
      await Promise.all(members.map((member) => ready(member.child)));
    } catch (error) {
      cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The index of the member that leads now, as the members themselves say. */
  async leader(): Promise<number> {
    for (const member of this.members) {
      if (member.child.exitCode !== null || member.child.signalCode !== null) continue;
      try {
        const response = await fetch(`${member.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}' });
        const status = (await response.json()) as { header: { member_id: string }; leader: string };
        if (status.leader === status.header.member_id) return this.members.indexOf(member);
      } catch {}
    }
    return -1;
  }

  /** Starts a killed member again, on its data: it rejoins the cluster. */
  async restart(index: number): Promise<void> {
    const member = this.members[index]!;
    member.child = spawnMember(member.args);
    await ready(member.child);
  }

  kill(index: number): void {
    this.members[index]!.child.kill('SIGKILL');
  }

  /** Stops a member without closing its sockets (SIGSTOP): it is there, and says nothing, as across a cut link. */
  pause(index: number): void {
    this.members[index]!.child.kill('SIGSTOP');
  }

  resume(index: number): void {
    this.members[index]!.child.kill('SIGCONT');
  }

  stop(): void {
    for (const member of this.members) member.child.kill('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function spawnMember(args: string[]): ChildProcess {
  return spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`etcd did not start: ${log.slice(-500)}`)), 30_000);
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      log = (log + text).slice(-20_000);
      if (log.includes('ready to serve client requests')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`etcd exited (${code}): ${log.slice(-500)}`)));
  });
}

/**
 * Turns on etcd's auth through its gateway, as an operator would with etcdctl: a root user, and
 * `user` with read and write on `prefix` only.
 */
export async function enableAuth(url: string, user: string, password: string, prefix: string): Promise<void> {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const end = Buffer.from(prefix);
  end[end.length - 1]!++;
  const steps: Array<[string, unknown]> = [
    ['user/add', { name: 'root', password: 'root-password' }],
    ['role/add', { name: 'root' }],
    ['user/grant', { user: 'root', role: 'root' }],
    ['user/add', { name: user, password }],
    ['role/add', { name: 'scs' }],
    ['role/grant', { name: 'scs', perm: { permType: 'READWRITE', key: b64(prefix), range_end: end.toString('base64') } }],
    ['user/grant', { user, role: 'scs' }],
    ['enable', {}],
  ];
  for (const [path, body] of steps) {
    const response = await fetch(`${url}/v3/auth/${path}`, { method: 'POST', body: JSON.stringify(body) });
    const reply = (await response.json()) as { error?: string };
    if (!response.ok || reply.error) throw new Error(`etcd auth ${path}: ${JSON.stringify(reply)}`);
  }
}
