// What the agent-restart test and bench share: the hello stack in a folder of its own, `scs disco`
// as the external disco, a respawn loop standing in for the supervisor (restart 100 ms after an
// exit, as systemd's Restart=always with RestartSec=100ms), and probes that count what a client sees
// while the agent is killed: by SCS_REQUIRE_* (straight to the provider) and by the host DNS (which
// lives in the agent).

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AgentState } from '../../src/agent/state.ts';
import { LABEL } from '../../src/docker/labels.ts';
import { agentState } from './agent-state.ts';
import { collect, SCS } from './cli.ts';
import { engine } from './docker.ts';
import { getOk } from './http-ok.mjs';
import { startOnPortOutsideEphemeral } from './ports.ts';
import { eventually, sleep } from './wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
/** The supervisor's contract: an agent that exits is started again this long after. */
export const RESPAWN_MS = 100;

/**
 * examples/hello copied into a fresh folder (without any state), with its own environment so names
 * clash with nobody; with `subnet`, its stack network pinned there (network.subnet).
 */
export function helloStack(environment: string, subnet?: string): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), `scs-${environment}-`));
  cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
  writeFileSync(join(dir, 'env.yaml'), `environment: ${environment}\n${subnet ? `network: { subnet: ${subnet} }\n` : ''}`);
  return { dir, files: ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'env.yaml')] };
}

/** `scs disco` on loopback, on a port outside the ephemeral range; its DNS off. */
export function startScsDisco(grace = '10s'): Promise<{ address: string; stop(): Promise<void> }> {
  return startOnPortOutsideEphemeral(
    (port) =>
      new Promise((resolve, reject) => {
        const running = collect(
          spawn(process.execPath, [SCS, 'disco', '--listen', `127.0.0.1:${port}`, '--dns', 'off', '--grace', grace]) as never,
        );
        const check = setInterval(() => {
          if (running.stdout.includes('listening') || running.stderr.includes('listening')) {
            clearInterval(check);
            resolve({
              address: `127.0.0.1:${port}`,
              stop: async () => {
                running.child.kill('SIGTERM');
                await running.exited;
              },
            });
          }
        }, 20);
        void running.exited.then((code) => {
          clearInterval(check);
          reject(new Error(`scs disco exited with ${code}: ${running.stderr}`));
        });
      }),
  );
}

/** What a drained agent exits with: the supervisor does not start it again (the unit's RestartPreventExitStatus). */
const DRAINED = 4;
const SUPERVISOR = fileURLToPath(new URL('./supervisor.py', import.meta.url));

/**
 * The supervisor: test/helpers/supervisor.py runs the agent (`scs agent`, or `scs up` in the
 * foreground), and starts it again RESPAWN_MS after it exits, unless it exited 4 (drained by `scs
 * down`), as systemd's unit does. With `dns` (HOST:PORT), it also holds the host DNS's sockets there
 * across restarts and hands them to each agent, as the socket unit does.
 */
export class Respawner {
  private supervisor: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  /** The agent running now, or the last one. */
  pid: number | undefined;
  private running = false;
  /** How many agents it started. */
  starts = 0;
  /** How each agent it started ended, in order: its exit code, or the signal that killed it. */
  readonly exits: Array<number | NodeJS.Signals> = [];

  constructor(
    private readonly args: readonly string[],
    private readonly logFile: string,
    /** The `scs` to run: the sources through tsx by default, the bundle (bin/scs.js) in benchmarks. */
    private readonly entry = SCS,
    /** How to launch it: through a command that execs it (`harness run h1`), in a folder, with more environment, with DNS sockets held. */
    private readonly launch: {
      readonly via?: readonly string[];
      readonly cwd?: string;
      readonly env?: Record<string, string>;
      readonly dns?: string;
    } = {},
  ) {}

  start(): void {
    const held = this.launch.dns ? ['--listen', this.launch.dns] : [];
    const supervisorArgs = [
      SUPERVISOR,
      '--log',
      this.logFile,
      '--respawn-ms',
      String(RESPAWN_MS),
      '--prevent-restart',
      String(DRAINED),
      ...held,
    ];
    const [program, ...rest] = [...(this.launch.via ?? []), 'python3', ...supervisorArgs, '--', process.execPath, this.entry, ...this.args];
    const supervisor = spawn(program!, rest, {
      // Its stdin stays open while this process lives: it stops at its end, so a test that dies leaves no supervisor behind.
      stdio: ['pipe', 'pipe', 'inherit'],
      ...(this.launch.cwd ? { cwd: this.launch.cwd } : {}),
      ...(this.launch.env ? { env: { ...process.env, ...this.launch.env } } : {}),
    });
    this.supervisor = supervisor;
    this.exited = new Promise((resolve) => supervisor.once('exit', resolve));
    createInterface({ input: supervisor.stdout! }).on('line', (line) => {
      const [said, pid, ended] = line.split(' ');
      if (said === 'started') {
        this.pid = Number(pid);
        this.running = true;
        this.starts++;
      } else if (said === 'exited') {
        this.running = false;
        this.exits.push(/^\d+$/.test(ended!) ? Number(ended) : (ended as NodeJS.Signals));
      }
    });
  }

  /** Signals the agent running now; none between two runs, where its pid may be another process's already. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running && this.pid !== undefined) {
      try {
        process.kill(this.pid, signal);
      } catch {
        // Gone already: between two runs.
      }
    }
  }

  /** No more restarts; the agent running is told to stop (it hands its stack over: `scs down` removes it) and waited for. */
  async stop(): Promise<void> {
    const supervisor = this.supervisor;
    if (!supervisor || supervisor.exitCode !== null || supervisor.signalCode !== null) return;
    supervisor.kill('SIGTERM');
    await Promise.race([this.exited, sleep(90_000)]);
  }
}

/** Waits for the agent the respawner runs now to say its stack is up. */
export function agentUp(respawner: Respawner, timeoutMs = 60_000): Promise<AgentState> {
  return eventually(
    () => {
      const state = agentState('hello');
      return state !== undefined && state.pid === respawner.pid && state.phase === 'running' && state;
    },
    timeoutMs,
    `agent ${respawner.pid} to bring the stack up`,
  );
}

/** Each service's container run (`id@StartedAt`): a restart or a replacement changes it. */
export async function containerRuns(stack: string, environment: string): Promise<Record<string, string>> {
  const runs: Record<string, string> = {};
  for (const container of await engine.list({ [LABEL.stack]: stack, [LABEL.environment]: environment })) {
    const info = await engine.inspect(container.id);
    if (info) runs[info.labels[LABEL.service]!] = `${info.id}@${info.startedAt}`;
  }
  return runs;
}

/** Asks `probe` every `everyMs` until stopped, counting answers and failures, and the longest run of failures. */
export class Prober {
  ok = 0;
  failed = 0;
  private failingSince: number | undefined;
  longestOutageMs = 0;
  /** Why probes failed, as they threw (a probe that answers false says nothing). */
  readonly reasons: string[] = [];
  /** The longest a probe took that succeeded. */
  slowestMs = 0;
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly probe: () => Promise<boolean>,
    everyMs = 50,
  ) {
    this.done = (async () => {
      while (!this.stopped) {
        const started = Date.now();
        const ok = await this.probe().catch((error: NodeJS.ErrnoException) => {
          this.reasons.push(`${error.code ?? error.message} after ${Date.now() - started} ms`);
          return false;
        });
        if (ok) {
          this.ok++;
          this.slowestMs = Math.max(this.slowestMs, Date.now() - started);
          if (this.failingSince !== undefined) this.longestOutageMs = Math.max(this.longestOutageMs, Date.now() - this.failingSince);
          this.failingSince = undefined;
        } else {
          this.failed++;
          this.failingSince ??= started;
        }
        await sleep(Math.max(0, everyMs - (Date.now() - started)));
      }
    })();
  }

  async stop(): Promise<{ ok: number; failed: number; longestOutageMs: number; slowestMs: number }> {
    this.stopped = true;
    await this.done;
    return { ok: this.ok, failed: this.failed, longestOutageMs: this.longestOutageMs, slowestMs: this.slowestMs };
  }
}

/** One HTTP GET of `http://host:port/`, answered 200 within 2 s (a refused connection fails at once). */
export function httpProbe(hostPort: string): () => Promise<boolean> {
  return () => getOk(`http://${hostPort}/`, 2000, { agent: false });
}

/**
 * One lookup of `name`'s address by dig at the DNS server `hostPort`, as a container's resolver asks by
 * default (resolv.conf's timeout of 5 s, 2 attempts; scs sets only ndots): a server that is restarting
 * may answer late, one that is not there fails it at once (connection refused).
 */
export function digProbe(hostPort: string, name: string): () => Promise<boolean> {
  const at = hostPort.lastIndexOf(':');
  const args = [`@${hostPort.slice(0, at)}`, '-p', hostPort.slice(at + 1), '+time=5', '+tries=2', '+short', name, 'A'];
  return async () => {
    const { stdout } = await run('dig', args);
    if (!/^\d+\.\d+\.\d+\.\d+$/m.test(stdout)) throw new Error(stdout.trim().split('\n').pop() || 'no address');
    return true;
  };
}
