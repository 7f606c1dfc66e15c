// What the agent-restart test and bench share: the hello stack in a folder of its own, `scs disco`
// as the external disco, a respawn loop standing in for the supervisor (restart 100 ms after an
// exit, as systemd's Restart=always with RestartSec=100ms), and probes that count what a client sees
// while the agent is killed: by SCS_REQUIRE_* (straight to the provider) and by the host DNS (which
// lives in the agent).

import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, cpSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentState } from '../../src/agent/state.ts';
import { LABEL } from '../../src/docker/labels.ts';
import { agentState } from './agent-state.ts';
import { collect, SCS } from './cli.ts';
import { engine } from './docker.ts';
import { startOnPortOutsideEphemeral } from './ports.ts';
import { eventually, sleep } from './wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The supervisor's contract: an agent that exits is started again this long after. */
export const RESPAWN_MS = 100;

/** examples/hello copied into a fresh folder (without any state), with its own environment so names clash with nobody. */
export function helloStack(environment: string): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), `scs-${environment}-`));
  cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
  writeFileSync(join(dir, 'env.yaml'), `environment: ${environment}\n`);
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

/**
 * The supervisor: runs the agent (`scs agent`, or `scs up` in the foreground), and starts it again
 * RESPAWN_MS after it exits, unless it exited 4 (drained by `scs down`), as systemd's unit does.
 */
export class Respawner {
  private child: ChildProcess | undefined;
  private stopping = false;
  /** How many agents it started. */
  starts = 0;
  /** How each agent it started ended, in order: its exit code, or the signal that killed it. */
  readonly exits: Array<number | NodeJS.Signals> = [];

  constructor(
    private readonly args: readonly string[],
    private readonly logFile: string,
    /** The `scs` to run: the sources through tsx by default, the bundle (bin/scs.js) in benchmarks. */
    private readonly entry = SCS,
    /** How to launch it: through a command that execs it (`harness run h1`, so the pid stays the agent's), in a folder, with more environment. */
    private readonly launch: { readonly via?: readonly string[]; readonly cwd?: string; readonly env?: Record<string, string> } = {},
  ) {}

  start(): void {
    const log = openSync(this.logFile, 'a');
    const [program, ...rest] = [...(this.launch.via ?? []), process.execPath, this.entry, ...this.args];
    const child = spawn(program!, rest, {
      stdio: ['ignore', log, log],
      ...(this.launch.cwd ? { cwd: this.launch.cwd } : {}),
      ...(this.launch.env ? { env: { ...process.env, ...this.launch.env } } : {}),
    });
    closeSync(log);
    this.child = child;
    this.starts++;
    child.once('exit', (code, signal) => {
      this.exits.push(code ?? signal!);
      if (!this.stopping && code !== DRAINED) setTimeout(() => this.start(), RESPAWN_MS);
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  /** No more restarts; the agent running is told to stop (it hands its stack over: `scs down` removes it) and waited for. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(90_000)]);
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
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly probe: () => Promise<boolean>,
    everyMs = 50,
  ) {
    this.done = (async () => {
      while (!this.stopped) {
        const started = Date.now();
        const ok = await this.probe().catch(() => false);
        if (ok) {
          this.ok++;
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

  async stop(): Promise<{ ok: number; failed: number; longestOutageMs: number }> {
    this.stopped = true;
    await this.done;
    return { ok: this.ok, failed: this.failed, longestOutageMs: this.longestOutageMs };
  }
}

/** One HTTP GET of `http://host:port/`, answered 200 within 2 s (a refused connection fails at once). */
export function httpProbe(hostPort: string): () => Promise<boolean> {
  const at = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, at);
  const port = Number(hostPort.slice(at + 1));
  return () =>
    new Promise((resolve) => {
      const request = get({ host, port, path: '/', timeout: 2000, agent: false }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode === 200));
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(false));
    });
}

/** One DNS query for the A record of `name` to `hostPort`, answered with an address within half a second. */
export function dnsProbe(hostPort: string, name: string): () => Promise<boolean> {
  const at = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, at);
  const port = Number(hostPort.slice(at + 1));
  let nextId = 0;
  return () =>
    new Promise((resolve) => {
      const id = (nextId = (nextId + 1) & 0xffff);
      const labels = name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
      const query = Buffer.concat([
        Buffer.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
        ...labels,
        Buffer.from([0, 0, 1, 0, 1]),
      ]);
      const socket = createSocket('udp4');
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        socket.close();
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), 500);
      socket.on('error', () => finish(false));
      socket.on('message', (reply) => {
        if (reply.readUInt16BE(0) === id) finish((reply[3]! & 0x0f) === 0 && reply.readUInt16BE(6) > 0);
      });
      socket.send(query, port, host);
    });
}
