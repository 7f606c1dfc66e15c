// The multi-host harness (scripts/harness) for tests: three hosts as network namespaces, each with
// its own dockerd, and ways to run scs on a host, read a host's Docker, cut a host's link, and
// probe a service from a host the way a dependent sees it.

import { type ChildProcessWithoutNullStreams, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { Engine } from '../../src/docker/engine.ts';
import { collect, type Running, SCS, scs } from './cli.ts';
import { eventually } from './wait.ts';

const run = promisify(execFile);
export const HARNESS = fileURLToPath(new URL('../../scripts/harness', import.meta.url));
export const PROBE = fileURLToPath(new URL('./probe.mjs', import.meta.url));
export const LISTER = fileURLToPath(new URL('./lister.mjs', import.meta.url));

export type Host = 'h1' | 'h2' | 'h3';
export const ADDRESS: Record<Host, string> = { h1: '10.201.1.11', h2: '10.201.2.12', h3: '10.201.1.13' };
export const namespace = (host: Host) => `scsmh-${host}`;
export const dockerSocket = (host: Host) => `/run/scsmh/${host}/docker.sock`;
/** The host's own Docker Engine, reached from this process through its socket. */
export const engineOn = (host: Host) => new Engine(new Docker({ socketPath: dockerSocket(host) }));
/** Where a named volume's files are on the host's daemon (its data-root is a plain folder). */
export const volumeFile = (host: Host, volume: string, file: string) => `/var/lib/scsmh/${host}/docker/volumes/${volume}/_data/${file}`;

/** Why the harness cannot run here, or undefined when it can. */
export function harnessProblem(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'the harness needs root (network namespaces, dockerd)';
  if (!existsSync('/dev/net/tun')) return 'there is no TUN device (/dev/net/tun) for the WAN link';
  for (const tool of ['ip', 'python3', 'dockerd', 'docker']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  const probe = spawnSync('sh', ['-c', 'ip netns add scsmh-probe && ip netns del scsmh-probe'], { encoding: 'utf8' });
  if (probe.status !== 0) return `network namespaces cannot be made here (${probe.stderr.trim()})`;
  if (spawnSync('docker', ['image', 'inspect', 'scs-base:busybox']).status !== 0) return 'scs-base:busybox is missing (scripts/base-image)';
  return undefined;
}

/** What the harness has left on this machine: namespaces, links, processes, mounts and folders. */
export function harnessLeftovers(): string[] {
  const lines = (command: string) => spawnSync('sh', ['-c', command], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  return [
    ...lines('ip netns list | grep "^scsmh-"').map((line) => `namespace ${line}`),
    ...lines('ip -o link | grep scsmh-').map((line) => `link ${line}`),
    ...lines('pgrep -fa "wan-link scsmh-|/var/lib/scsmh/|/run/scsmh/" | grep -v pgrep').map((line) => `process ${line}`),
    ...lines('grep -E " /(run|var/lib)/scsmh" /proc/self/mounts').map((line) => `mount ${line}`),
    ...['/run/scsmh', '/var/lib/scsmh'].filter((dir) => existsSync(dir)).map((dir) => `folder ${dir}`),
  ];
}

export async function harness(...args: string[]): Promise<string> {
  return harnessWith({}, ...args);
}

/** The harness with settings of its own in its environment (`SCS_HARNESS_LIVE_RESTORE`, ...). */
export async function harnessWith(env: Record<string, string>, ...args: string[]): Promise<string> {
  const { stdout } = await run(HARNESS, args, { maxBuffer: 1 << 20, env: { ...process.env, ...env } });
  return stdout;
}

/** Where the tests run disco: on h1, port 9640, every host's agent pointing at it. */
export const DISCO = `${ADDRESS.h1}:9640`;
// Short heartbeats, so a silent partition is noticed in seconds: timeout 3 s, grace 2 s.
const DISCO_FLAGS = ['--listen', '0.0.0.0:9640', '--heartbeat-interval', '1s', '--heartbeat-timeout', '3s', '--grace', '2s'];

/**
 * The hello stack's overlay of each host, as every hello test on the harness uses it: the shared
 * disco on h1, and web's `az` attribute by the host's data center.
 */
export function writeHostOverlays(dir: string): void {
  for (const [host, dc] of [
    ['h1', 'dc-a'],
    ['h2', 'dc-b'],
    ['h3', 'dc-a'],
  ])
    writeFileSync(join(dir, `${host}.yaml`), `disco: ${DISCO}\nservices:\n  web:\n    attributes:\n      az: ${dc}\n`);
}

/** The files a move of hello uses: placed.yaml (web on h3, the client on h2), and the layouts quiet.yaml (all on h1) and day.yaml. */
export function writeMoveFiles(dir: string): void {
  writeFileSync(join(dir, 'placed.yaml'), 'services:\n  web:\n    placement: h3\n  client:\n    placement: h2\n');
  writeFileSync(join(dir, 'quiet.yaml'), 'services:\n  web: h1\n  client: { host: h1, without-data: true }\n');
  writeFileSync(join(dir, 'day.yaml'), 'services:\n  web: h3\n  client: { host: h2, without-data: true }\n');
}

/** The token file of the last disco started, which the samplers' clients read too. */
let lastTokenFile: string | undefined;

/** The token every host's agent gives disco, as in production (docs/multi-host.md): one file, 0600, in the test's folder. */
export function tokenFile(cwd: string): string {
  const file = join(cwd, 'disco.token');
  lastTokenFile = file;
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
  return file;
}

/** disco.yaml granting the token every name, to provide, require, observe (what a move reads) and place: disco listens beyond loopback, so it has tokens. */
function discoConfigFile(cwd: string): string {
  const token = tokenFile(cwd);
  const config = join(cwd, 'disco.yaml');
  writeFileSync(
    config,
    `tokens:\n  - tokenFile: ${token}\n    provide: ["*.*.*.*"]\n    require: ["*.*.*.*"]\n    observe: ["*.*.*.*"]\n    place: ["*.*.*.*"]\n`,
  );
  return config;
}

/** `scs disco` on h1, with a token (and any flags of the test's), once it listens. */
export async function startDisco(cwd: string, flags: readonly string[] = []): Promise<Running> {
  const disco = scsOn('h1', ['disco', '--config', discoConfigFile(cwd), ...DISCO_FLAGS, ...flags], cwd);
  await eventually(() => `${disco.stdout}${disco.stderr}`.includes('listening on tcp'), 20_000, 'disco to listen on h1');
  return disco;
}

/**
 * Builds a stack's images here, once, and brings the harness up with them loaded into every host's
 * daemon. Returns the images' names.
 */
export async function harnessUpWith(cwd: string, stack: string, files: string[], env: Record<string, string> = {}): Promise<string[]> {
  const build = scs(['build', ...files], {}, cwd);
  if ((await build.exited) !== 0) throw new Error(`scs build failed:\n${build.stderr}`);
  const images = [...new Set(`${build.stdout}${build.stderr}`.match(new RegExp(`scs/${stack}-[a-z]+:[0-9a-f]+`, 'g')) ?? [])];
  await harnessWith(env, 'up', ...images);
  return images;
}

/** Ends disco and takes the harness down, with every agent, container and daemon on it. */
export async function harnessDown(disco: Running | undefined): Promise<void> {
  disco?.child.kill('SIGKILL');
  await harness('down');
}

/** `scs ARGS...` on a host that must succeed: rejects with its output when it fails. */
export async function scsOkOn(host: Host, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Running> {
  const command = scsOn(host, args, cwd, env);
  const code = await command.exited;
  if (code !== 0) throw new Error(`scs ${args.join(' ')} on ${host} exited ${code}:\n${command.stderr}`);
  return command;
}

/** `scs ARGS...` on a host (`harness run`): in its namespace, with its host name, against its dockerd. */
export function scsOn(host: Host, args: string[], cwd: string, env: Record<string, string> = {}): Running {
  const token = { SCS_TOKEN_FILE: tokenFile(cwd) };
  return collect(spawn(HARNESS, ['run', host, process.execPath, SCS, ...args], { cwd, env: { ...process.env, ...token, ...env } }));
}

export interface ProbeResult {
  readonly at: number;
  /** How long the request took, to its answer, its error or its timeout. */
  readonly ms: number;
  readonly ok: boolean;
  readonly upstream: string;
}

export interface ListResult {
  readonly at: number;
  readonly endpoints?: string[];
  readonly error?: string;
}

/** Runs a helper script in a host's namespace and gathers the JSON lines it prints. */
function sampler<T>(host: Host, script: string, args: string[]) {
  const env = { ...process.env, ...(lastTokenFile ? { SCS_TOKEN_FILE: lastTokenFile } : {}) };
  const child: ChildProcessWithoutNullStreams = spawn('ip', ['netns', 'exec', namespace(host), process.execPath, script, ...args], { env });
  const results: T[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line) results.push(JSON.parse(line) as T);
  });
  // Known once, so that a second stop() (or one after the sampler died) does not wait for another exit.
  let ended = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      ended = true;
      resolve();
    }),
  );
  let errors = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    errors = (errors + text).slice(-2000);
  });
  return {
    results,
    /** The last results and, if the sampler stopped, how: what a timed-out wait says it saw. */
    seen: (count = 3) =>
      `${JSON.stringify(results.slice(-count))}${ended ? `; sampler exited (${child.exitCode ?? child.signalCode}): ${errors.trim()}` : ''}`,
    /** Ends the sampler; again, or after it ended by itself, it only waits for that. */
    stop: async () => {
      if (!ended) child.kill();
      await exited;
    },
  };
}

/**
 * Fetches, from a host, every `everyMs`, the address written in `upstreamFile` (what a dependent's
 * live update last wrote there), and records each request's outcome.
 */
export const probeFrom = (host: Host, upstreamFile: string, everyMs = 50, timeoutMs = 1000) =>
  sampler<ProbeResult>(host, PROBE, [upstreamFile, String(everyMs), String(timeoutMs)]);

/** Asks disco, from a host, every `everyMs`, for the endpoints of `name`. */
export const listFrom = (host: Host, disco: string, name: string, everyMs = 100) =>
  sampler<ListResult>(host, LISTER, [...disco.split(':'), name, String(everyMs)]);

/**
 * The times, in ms, that `count` TCP connections from a host to ADDRESS:PORT each took to open: one
 * round trip, SYN to SYN-ACK.
 */
export async function connectTimes(host: Host, address: string, port: number, count = 5): Promise<number[]> {
  const script = `
    const { connect } = require('node:net');
    (async () => {
      for (let i = 0; i < ${count}; i++) {
        const start = performance.now();
        await new Promise((resolve, reject) => connect(${port}, '${address}').on('connect', function () { this.destroy(); resolve(); }).on('error', reject));
        console.log(performance.now() - start);
      }
    })().catch((error) => { console.error(error.message); process.exit(1); });`;
  const { stdout } = await run('ip', ['netns', 'exec', namespace(host), process.execPath, '-e', script]);
  return stdout.trim().split('\n').map(Number);
}

/** An HTTP request made from a host (fetch, in its namespace): the status and the body's text. */
export async function fetchFrom(host: Host, url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  const script = `fetch(process.argv[1], JSON.parse(process.argv[2]))
    .then(async (response) => console.log(JSON.stringify({ status: response.status, text: await response.text() })))
    .catch((error) => { console.error(error.message); process.exit(1); });`;
  const { stdout } = await run('ip', ['netns', 'exec', namespace(host), process.execPath, '-e', script, url, JSON.stringify(init)], {
    maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout) as { status: number; text: string };
}

/** The failed requests among `results`, and how long they lasted from the first to the next success. */
export function failedWindow(results: readonly ProbeResult[]): { failures: number; windowMs: number } {
  const failures = results.filter((result) => !result.ok);
  if (failures.length === 0) return { failures: 0, windowMs: 0 };
  const first = failures[0]!.at;
  const recovered = results.find((result) => result.ok && result.at > failures.at(-1)!.at)?.at ?? results.at(-1)!.at;
  return { failures: failures.length, windowMs: recovered - first };
}

export const readUpstream = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : '');
