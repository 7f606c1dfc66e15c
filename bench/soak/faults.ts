// The soak's faults: which one comes next is drawn from the seed (the same seed, the same sequence),
// and each is one episode: inject, hold, repair as a supervisor or an operator would. Episodes do not
// overlap, so each event in the report has one cause.

import { mulberry32 } from '../../test/helpers/fuzz.ts';
import { engineOn, type Host, harness } from '../../test/helpers/harness.ts';
import type { Excuse } from './checker.ts';
import { GRACE_MS, HEARTBEAT_TIMEOUT_MS, HOSTS, type Stack, type Topology } from './topology.ts';
import type { Seen, Watch } from './watch.ts';

export const KINDS = ['disco-kill', 'disco-stop', 'etcd-kill', 'agent-kill', 'dockerd-kill', 'container-kill', 'wan-cut'] as const;
export type Kind = (typeof KINDS)[number];

export interface Event {
  readonly at: number;
  readonly kind: Kind;
  readonly host: Host;
  readonly what: string;
}

/**
 * What the seed draws: a kind, a host, which of its agents or containers (a number in [0, 1)), and the
 * quiet time before the next fault. With the blog, `choice` picks among hello's and the blog's; without
 * it, among hello's alone, so that a seed draws the same faults as before the blog was added.
 */
export interface Draw {
  readonly kind: Kind;
  readonly host: Host;
  readonly choice: number;
  readonly gapMs: number;
}

/** The seeded sequence of faults: pure, so a seed can be replayed. */
export function drawFaults(seed: number): () => Draw {
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  return () => ({ kind: pick(KINDS), host: pick(HOSTS), choice: random(), gapMs: 2000 + Math.floor(random() * 3000) });
}

/** Whose agent an agent-kill hits: hello's alone without the blog; with it, hello's or the blog's, by `choice`. */
export const agentOf = (choice: number, blog: boolean): Stack => (blog && choice >= 0.5 ? 'blog' : 'hello');

/** Which running container a container-kill hits, by `choice`: among hello's, then the blog's (none without it). */
export function containerOf<T>(choice: number, hello: readonly T[], blog: readonly T[] = []): T | undefined {
  const all = [...hello, ...blog];
  return all[Math.floor(choice * all.length)];
}

/** A stopped disco server stays stopped this long: past the heartbeat timeout, so its clients move on. */
export const STOP_MS = HEARTBEAT_TIMEOUT_MS + 1000;
/** The WAN stays cut this long: past the 10 s after which a write the minority cannot commit answers `unavailable`. */
export const CUT_MS = 12_000;
/** A supervisor restarts a dead process this long after it died. */
const RESTART_MS = 100;
/** After healing, or a server's return, what changed meanwhile must be seen within this long. */
export const SETTLE_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Injector {
  readonly events: Event[] = [];
  readonly excuses: Excuse[] = [];
  /** What the minority's disco answered to a write while the WAN was cut. */
  readonly writes: Array<{ at: number; ms: number; ok?: boolean; error?: string }> = [];
  /** Cut windows, for the partition's checks. */
  readonly cuts: Array<{ from: number; to: number }> = [];
  /** Pids the injector killed or stopped, which I5 leaves out. */
  readonly hit = new Set<number>();

  constructor(
    private readonly topology: Topology,
    private readonly watch: Watch,
  ) {}

  private note(kind: Kind, host: Host, what: string): number {
    const at = Date.now();
    this.events.push({ at, kind, host, what });
    return at;
  }

  private excuseServer(host: Host, from: number, to: number, why: string): void {
    for (const via of ['list', 'dns']) this.excuses.push({ observer: `${via}@${host}`, from, to, why, settleMs: SETTLE_MS });
  }

  async inject({ kind, host, choice }: Draw): Promise<void> {
    switch (kind) {
      case 'disco-kill': {
        const daemon = this.topology.disco.get(host)!;
        this.hit.add(daemon.child.pid!);
        const from = this.note(kind, host, `SIGKILL disco (pid ${daemon.child.pid})`);
        const exited = new Promise((resolve) => daemon.child.once('exit', resolve));
        daemon.child.kill('SIGKILL');
        await exited;
        await sleep(RESTART_MS);
        await this.topology.startDisco(host);
        this.excuseServer(host, from, this.note(kind, host, 'disco started again and listening'), 'its disco server was down');
        return;
      }
      case 'disco-stop': {
        const pid = this.topology.disco.get(host)!.child.pid!;
        this.hit.add(pid);
        process.kill(pid, 'SIGSTOP');
        const from = this.note(kind, host, `SIGSTOP disco (pid ${pid}) for ${STOP_MS} ms`);
        await sleep(STOP_MS);
        process.kill(pid, 'SIGCONT');
        this.excuseServer(host, from, this.note(kind, host, 'SIGCONT disco'), 'its disco server was stopped');
        return;
      }
      case 'etcd-kill': {
        const daemon = this.topology.etcd.get(host)!;
        this.hit.add(daemon.child.pid!);
        this.note(kind, host, `SIGKILL etcd member (pid ${daemon.child.pid})`);
        const exited = new Promise((resolve) => daemon.child.once('exit', resolve));
        daemon.child.kill('SIGKILL');
        await exited;
        await sleep(RESTART_MS);
        await this.topology.startEtcd(host);
        this.note(kind, host, 'etcd member started again and ready');
        return;
      }
      case 'agent-kill': {
        const stack = agentOf(choice, this.topology.blogFiles !== undefined);
        const name = stack === 'blog' ? "the blog's agent" : 'agent';
        const pid = (stack === 'blog' ? this.topology.blogAgents : this.topology.agents).get(host)?.pid;
        if (pid === undefined) return void this.note(kind, host, `no ${name}: nothing to kill`);
        this.hit.add(pid);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
        const killed = this.note(kind, host, `SIGKILL ${name} (pid ${pid}); its supervisor starts it again 100 ms after`);
        try {
          const next = await this.topology.agentUp(host, stack, 60_000, pid);
          this.note(kind, host, `${name} started again by its supervisor (pid ${next}), up ${Date.now() - killed} ms after the kill`);
        } catch (error) {
          this.note(kind, host, `the agent did not come back: ${(error as Error).message}`);
        }
        return;
      }
      case 'dockerd-kill': {
        this.note(kind, host, 'SIGKILL dockerd (and its containerd)');
        await harness('kill-docker', host);
        await sleep(RESTART_MS);
        await harness('start-docker', host);
        this.note(kind, host, 'dockerd started again');
        return;
      }
      case 'container-kill': {
        const running = (stack: Stack, list: readonly Seen[]) => list.filter((c) => c.running).map((c) => ({ ...c, stack }));
        const hello = running('hello', this.watch.containers.get(host) ?? []);
        const blog = this.topology.blogFiles ? running('blog', this.watch.blogContainers.get(host) ?? []) : [];
        const target = containerOf(choice, hello, blog);
        if (!target)
          return void this.note(kind, host, `no running ${this.topology.blogFiles ? 'hello or blog' : 'hello'} container to kill`);
        const service = target.stack === 'blog' ? `the blog's ${target.service}` : target.service;
        try {
          const pid = (await engineOn(host).docker.getContainer(target.id).inspect()).State.Pid;
          process.kill(pid, 'SIGKILL');
          const at = this.note(
            kind,
            host,
            `SIGKILL the main process of ${service} (${target.id.slice(0, 12)}, pid ${pid}${target.endpoint ? `, ${target.endpoint}` : ''})`,
          );
          // Docker starts the dependent again from the environment it was created with, and the agent
          // brings it up to date when it sees the start: the new run is judged from the kill, with I3's bound.
          if (target.stack === 'hello' && target.service === 'client')
            this.excuses.push({ observer: `client@${host}`, from: at, to: at, why: 'Docker started it again', settleMs: GONE_MS + 1000 });
        } catch (error) {
          this.note(kind, host, `could not kill ${service}: ${(error as Error).message}`);
        }
        return;
      }
      case 'wan-cut': {
        await harness('cut-wan');
        const from = this.note(kind, 'h2', `WAN cut: DC B (h2) apart from DC A (h1, h3) for ${CUT_MS} ms`);
        await sleep(500);
        const write = this.watch.write('h2').then(
          (result) => this.writes.push(result),
          (error) => this.writes.push({ at: Date.now(), ms: 0, error: `the write could not be made: ${(error as Error).message}` }),
        );
        await sleep(CUT_MS - 500);
        await harness('heal-wan');
        const to = this.note(kind, 'h2', 'WAN healed');
        this.cuts.push({ from, to });
        this.excuseServer('h2', from, to, 'the WAN was cut: h2 is in the minority');
        this.excuses.push({ observer: 'client@h2', from, to, why: 'the WAN was cut: h2 is in the minority', settleMs: SETTLE_MS });
        await write;
        return;
      }
    }
  }
}

/** How long an endpoint may outlive its container: the heartbeat timeout, the grace, and 1 s (I2). */
export const GONE_MS = HEARTBEAT_TIMEOUT_MS + GRACE_MS + 1000;
