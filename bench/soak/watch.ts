// The soak's eyes, outside scs: a sampler in each host's namespace asking that host's disco server
// over the protocol and over DNS (dig), `docker ps` on every host's daemon (the truth), and the file
// the client's live update writes inside the dependent.

import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LABEL } from '../../src/docker/engine.ts';
import { ADDRESS, engineOn, type Host, namespace } from '../../test/helpers/harness.ts';
import { type Sample, type Shown, type Truth, truthOf } from './checker.ts';
import { jsonLinesOn } from './json-lines.ts';
import { DISCO_PORT, DNS_PORT, HOSTS, UPSTREAM_FILE, WEB } from './topology.ts';

const SAMPLER = fileURLToPath(new URL('./sample.mjs', import.meta.url));
const EVERY_MS = 250;
const exec = promisify(execFile);

/** One container as `docker ps` showed it (hello's, or the blog's). */
export interface Seen extends Shown {
  readonly host: Host;
  readonly id: string;
}

export class Watch {
  readonly truth: Truth[] = [];
  readonly samples: Sample[] = [];
  /** hello's containers in the last `docker ps` that answered on each host: a daemon that is down leaves its containers running. */
  readonly containers = new Map<Host, Seen[]>();
  /** The blog's containers, likewise (with --blog): the faults may hit them too, and I5 counts them. */
  readonly blogContainers = new Map<Host, Seen[]>();
  /** Each poll's containers, for the partition's check that the minority's keep running. */
  readonly history: Array<{ at: number; containers: Seen[] }> = [];
  private readonly samplers: ChildProcess[] = [];
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(private readonly tokenFile: string) {}

  start(): void {
    for (const host of HOSTS) this.startSampler(host);
    this.timer = setInterval(() => void this.poll(), EVERY_MS);
  }

  private startSampler(host: Host): void {
    const args = [SAMPLER, ADDRESS[host], String(DISCO_PORT), String(DNS_PORT), WEB, String(EVERY_MS)];
    const child = jsonLinesOn(host, args, { ...process.env, SCS_TOKEN_FILE: this.tokenFile }, (line) => {
      const { at, via, endpoints, error, opened } = line as {
        at: number;
        via: string;
        endpoints?: string[];
        error?: string;
        opened?: boolean;
      };
      this.samples.push({
        at,
        observer: `${via}@${host}`,
        ...(endpoints ? { endpoints } : { error: error ?? 'no answer' }),
        ...(opened ? { opened } : {}),
      });
    });
    this.samplers.push(child);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    const at = Date.now();
    try {
      await Promise.all(HOSTS.map((host) => this.pollHost(host)));
      const all = HOSTS.flatMap((host) => this.containers.get(host) ?? []);
      this.truth.push(truthOf(at, all));
      this.history.push({ at, containers: all });
      const upstream = existsSync(UPSTREAM_FILE) ? readFileSync(UPSTREAM_FILE, 'utf8').trim() : '';
      this.samples.push({ at, observer: 'client@h2', endpoints: upstream ? upstream.split(';').sort() : [] });
    } finally {
      this.polling = false;
    }
  }

  private async pollHost(host: Host): Promise<void> {
    try {
      // Every stack's containers in one question; only hello's web is judged by I1–I3.
      const listed = await engineOn(host).docker.listContainers({ all: true, filters: { label: [LABEL.stack] } });
      const seen = (stack: string) =>
        listed
          .filter((c) => c.Labels[LABEL.stack] === stack)
          .map((c): Seen => {
            // scs publishes on loopback and the host's address, and Docker may give the two different
            // ports: the endpoint is the host address's, the one scs provides.
            const bound = stack === 'hello' ? c.Ports.filter((p) => p.PrivatePort === 8080 && p.PublicPort) : [];
            const port = (bound.find((p) => p.IP === ADDRESS[host]) ?? bound[0])?.PublicPort;
            return {
              host,
              id: c.Id,
              service: c.Labels[LABEL.service] ?? '',
              running: c.State === 'running',
              healthy: c.Status.includes('(healthy)'),
              ...(port ? { endpoint: `${ADDRESS[host]}:${port}` } : {}),
            };
          });
      this.containers.set(host, seen('hello'));
      this.blogContainers.set(host, seen('blog'));
    } catch {
      // The daemon is down: what it ran keeps running (the shims live on), so the last answer stands.
    }
  }

  /** One write (a provide) to a host's disco server, answered or not within 20 s. */
  async write(host: Host): Promise<{ at: number; ms: number; ok?: boolean; error?: string }> {
    const { stdout } = await exec(
      'ip',
      ['netns', 'exec', namespace(host), process.execPath, SAMPLER, '--write', ADDRESS[host], String(DISCO_PORT), 'probe.write.soak.dev'],
      { env: { ...process.env, SCS_TOKEN_FILE: this.tokenFile } },
    );
    return JSON.parse(stdout);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(
      this.samplers.map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve(null);
            child.once('exit', resolve);
            child.kill();
          }),
      ),
    );
  }
}
