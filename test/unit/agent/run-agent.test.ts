// runAgent (src/agent/run-agent.ts), the agent process of `scs up` assembled, against the in-memory
// engine and a real disco (in this process): it starts, provides, and closes what it opened, last
// first, when stopped and when a step fails midway, leaving nothing listening; and its state folder,
// the guard of its control socket.

import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHostPort } from '../../../src/address.ts';
import { listening } from '../../../src/agent/answering.ts';
import { callAgent } from '../../../src/agent/control.ts';
import { readSavedSession } from '../../../src/agent/disco-session.ts';
import { discoTokenFile } from '../../../src/agent/disco-token.ts';
import { type RunningAgent, runAgent } from '../../../src/agent/run-agent.ts';
import { stateFolder } from '../../../src/agent/state-folder.ts';
import type { CompiledStack } from '../../../src/manifest/compiled.ts';
import type { DiscoServer } from '../../../src/server/server.ts';
import { compiledStack, service } from '../../helpers/compiled.ts';
import { startDisco } from '../../helpers/disco.ts';
import { ProcessEngine } from '../../helpers/fake-engine.ts';
import { accepts, openListeners } from '../../helpers/listening.ts';
import { eventually, sleep } from '../../helpers/wait.ts';
import { WirePeer } from '../../helpers/wire.ts';

const web = service('web', { provides: [{ endpoint: 'http', port: 8080 }] });
const client = service('client', { requires: [{ endpoint: 'http', service: 'web' }] });

/** A stack on the stack network without the host's DNS (it would serve on the gateway, port 53). */
const stack = (): CompiledStack => ({ ...compiledStack([web, client]), dns: 'none' });

const started: RunningAgent[] = [];
const discos: DiscoServer[] = [];
afterEach(async () => {
  for (const running of started.splice(0)) await running.stop();
  for (const disco of discos.splice(0)) await disco.close();
});

function options(engine: ProcessEngine, trace: string[], over: Partial<Parameters<typeof runAgent>[0]> = {}) {
  return {
    compiled: stack(),
    services: [],
    project: 'one',
    waitTimeoutMs: 2000,
    debounceMs: 20,
    holdMs: 100,
    logs: false,
    engine,
    trace: (event: string) => void trace.push(event),
    ...over,
  };
}

/** The parts closed, in the order they were closed, next to the order they were opened. */
function lifecycle(trace: string[]) {
  const names = (verb: string) => trace.filter((e) => e.startsWith(`${verb} `)).map((e) => e.slice(verb.length + 1));
  return { opened: names('open'), closed: names('close') };
}

const settled = (before: number) => eventually(() => openListeners() === before, 2000, 'the listeners to close');

describe('runAgent', () => {
  it('joins the configured disco, provides there, and drops its provisions before it lets go of disco', async () => {
    const disco = await startDisco();
    discos.push(disco);
    const { port } = disco.address();
    const engine = new ProcessEngine();
    const trace: string[] = [];
    const running = await runAgent(options(engine, trace, { disco: `127.0.0.1:${port}` }));
    started.push(running);

    expect(running.disco).toBe(`127.0.0.1:${port}`);
    expect(disco.registry.lookup('http.web.shop.test').map((p) => `${p.address.host}:${p.address.port}`)).toEqual(['192.0.2.1:32768']);
    expect(engine.byService('web')?.running).toBe(true);
    expect(engine.byService('client')?.spec.env).toMatchObject({ SCS_REQUIRE_HTTP: '192.0.2.1:32768' });
    expect(lifecycle(trace).opened).toEqual([
      'disco client',
      'member report',
      'placement watch',
      'instances watch',
      'members of the spread',
      'control socket',
      'services',
    ]);

    await running.stop();
    await running.closed;
    expect(lifecycle(trace).closed).toEqual([
      'services',
      'control socket',
      'members of the spread',
      'instances watch',
      'placement watch',
      'member report',
      'disco client',
    ]);
    // Dropped by the agent going down, not left to expire: disco still listens, and has none.
    expect(disco.registry.lookup('http.web.shop.test')).toEqual([]);
    expect(engine.containers.size).toBe(0);
  });

  it('tells its disco what it runs, as a member, which goes when the agent does', async () => {
    const disco = await startDisco();
    discos.push(disco);
    const running = await runAgent(
      options(new ProcessEngine(), [], { disco: `127.0.0.1:${disco.address().port}`, version: '9.9.9', place: { dc: 'dc-a', az: 'a' } }),
    );
    started.push(running);
    await eventually(() => disco.members.book.list()[0]?.phase === 'running', 3000, 'the agent to state itself running');
    const [member] = disco.members.book.list();
    expect(member).toMatchObject({ project: 'one', stack: 'shop', environment: 'test', address: '192.0.2.1', version: '9.9.9' });
    expect(member!.attrs).toEqual({ dc: 'dc-a', az: 'a' });
    expect(member!.services).toEqual([
      { service: 'web', state: 'running', provides: [{ name: 'http.web.shop.test', address: '192.0.2.1:32768' }], requires: [] },
      {
        service: 'client',
        state: 'running',
        provides: [],
        requires: [{ endpoint: 'http', name: 'http.web.shop.test', applied: ['192.0.2.1:32768'], current: ['192.0.2.1:32768'] }],
      },
    ]);

    await running.stop();
    // It said goodbye: gone at once, not after the grace.
    expect(disco.members.book.size).toBe(0);
  });

  it('tells a disco that lost its session who it is again, once it reconnects', async () => {
    const first = await startDisco();
    const { port } = first.address();
    const running = await runAgent(options(new ProcessEngine(), [], { disco: `127.0.0.1:${port}` }));
    started.push(running);
    await eventually(() => first.members.book.list()[0]?.phase === 'running', 3000, 'the agent to state itself running');
    await first.close();
    // A new disco on the same port knows no session: the agent's client registers everything again, its member too.
    const second = await startDisco({ port });
    discos.push(second);
    await eventually(() => second.members.book.list()[0]?.phase === 'running', 5000, 'the agent to state itself to the new disco');
    expect(second.members.book.list()[0]!.services.map((s) => s.service)).toEqual(['web', 'client']);
  });

  it('brings its own disco when none is configured, and closes everything it opened, last first', async () => {
    const before = openListeners();
    const engine = new ProcessEngine();
    const trace: string[] = [];
    const running = await runAgent(options(engine, trace));
    started.push(running);
    const embedded = parseHostPort(running.disco);
    expect(await accepts(embedded.host, embedded.port)).toBe(true);
    expect(running.dns).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(lifecycle(trace).opened).toEqual([
      'embedded disco',
      'disco client',
      'member report',
      'placement watch',
      'instances watch',
      'members of the spread',
      'control socket',
      'services',
    ]);

    await running.stop();
    const { opened, closed } = lifecycle(trace);
    expect(closed).toEqual([...opened].reverse());
    expect(await accepts(embedded.host, embedded.port)).toBe(false);
    await settled(before);
  });

  it('lets only its agent provide into the embedded disco, with a token in a 0600 file; anyone may read', async () => {
    const engine = new ProcessEngine();
    const compiled = stack();
    const running = await runAgent(options(engine, [], { compiled }));
    started.push(running);
    const { port } = parseHostPort(running.disco);
    const file = discoTokenFile(stateFolder('one', compiled.stack));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);

    // A local user without the token: may read what the stack provides, may not provide into it.
    const stranger = await WirePeer.open(port);
    try {
      expect((await stranger.request({ op: 'hello', id: 0, version: 1 })).ok).toBe(true);
      const seen = await stranger.request({ op: 'require', id: 1, name: 'http.web.shop.test' });
      expect(seen.endpoints.map((e: { host: string; port: number }) => `${e.host}:${e.port}`)).toEqual(['192.0.2.1:32768']);
      const hijack = await stranger.request({ op: 'provide', id: 2, name: 'http.web.shop.test', host: '0.0.0.1', port: 1 });
      expect(hijack.error.code).toBe('forbidden');
    } finally {
      stranger.destroy();
    }
    await sleep(100);
    expect(engine.byService('client')?.spec.env).toMatchObject({ SCS_REQUIRE_HTTP: '192.0.2.1:32768' });

    // With the token from the state folder, one may.
    const owner = await WirePeer.open(port);
    try {
      expect((await owner.request({ op: 'hello', id: 0, version: 1, token })).ok).toBe(true);
      expect((await owner.request({ op: 'provide', id: 1, name: 'extra.web.shop.test', host: '192.0.2.9', port: 1 })).ok).toBe(true);
    } finally {
      owner.destroy();
    }
  });

  it('closes what it opened, last first, when a step fails midway, and says why in one sentence', async () => {
    const before = openListeners();
    const engine = new ProcessEngine();
    engine.create = async () => {
      throw new Error('no space left on device');
    };
    const trace: string[] = [];
    const failed = runAgent(options(engine, trace));
    await expect(failed).rejects.toThrow(/^scs up failed: .*no space left on device[^\n]*$/);
    const { opened, closed } = lifecycle(trace);
    expect(opened).toEqual([
      'embedded disco',
      'disco client',
      'member report',
      'placement watch',
      'instances watch',
      'members of the spread',
      'control socket',
      'services',
    ]);
    expect(closed).toEqual([...opened].reverse());
    await settled(before);
  });

  it('hands over on SIGTERM: no goodbye, its provisions and containers left as they are, its session kept for the next agent', async () => {
    const disco = await startDisco({ grace: 60_000 });
    discos.push(disco);
    const { port } = disco.address();
    const engine = new ProcessEngine();
    const trace: string[] = [];
    const compiled = stack();
    let signal!: (name: string) => void;
    const untilStopped = () => new Promise((resolve) => (signal = resolve));
    const running = await runAgent(options(engine, trace, { compiled, disco: `127.0.0.1:${port}`, untilStopped }));
    const control = running.agent.state().control!;
    const containers = [...engine.containers.values()].map((c) => `${c.id}:${c.starts}`).sort();
    signal('SIGTERM');
    const ending = await running.stopRequested;
    expect(ending).toEqual({ drain: false, why: 'SIGTERM' });
    await running.stop(ending);
    await running.closed;

    expect(lifecycle(trace).closed).toEqual([
      'services',
      'control socket',
      'members of the spread',
      'instances watch',
      'placement watch',
      'member report',
      'disco client',
    ]);
    // Still held by its session, which the server keeps for its grace: nobody sees a drop.
    expect(disco.registry.lookup('http.web.shop.test').map((p) => `${p.address.host}:${p.address.port}`)).toEqual(['192.0.2.1:32768']);
    expect([...engine.containers.values()].map((c) => `${c.id}:${c.starts}`).sort()).toEqual(containers);
    expect(engine.byService('web')?.running).toBe(true);
    expect(readSavedSession(stateFolder('one', compiled.stack), `127.0.0.1:${port}`)?.session).toBeDefined();
    expect(await listening(control)).toBe(false);
  });

  it('drains when asked by scs down through its control socket: endpoints dropped, containers removed, goodbye said', async () => {
    const disco = await startDisco({ grace: 60_000 });
    discos.push(disco);
    const { port } = disco.address();
    const engine = new ProcessEngine();
    const trace: string[] = [];
    const compiled = stack();
    const running = await runAgent(
      options(engine, trace, { compiled, disco: `127.0.0.1:${port}`, untilStopped: () => new Promise(() => {}) }),
    );
    await callAgent(running.agent.state().control!, { op: 'down' }, () => {});
    // Answered once the services are down: nothing of them is left by then.
    expect(engine.containers.size).toBe(0);
    expect(disco.registry.lookup('http.web.shop.test')).toEqual([]);
    const ending = await running.stopRequested;
    expect(ending).toEqual({ drain: true, why: 'scs down', volumes: false });
    await running.stop(ending);
    expect(lifecycle(trace).closed).toEqual([
      'services',
      'control socket',
      'members of the spread',
      'instances watch',
      'placement watch',
      'member report',
      'disco client',
    ]);
    // Goodbye: the session is over at once, not after the grace, and not kept for anyone.
    await eventually(() => disco.sessionCount === 0, 2000, 'the session to end');
    expect(readSavedSession(stateFolder('one', compiled.stack), `127.0.0.1:${port}`)).toBeUndefined();
  });

  it('a successor whose build fails touches nothing: the session it resumed keeps its endpoints, and is kept for the next agent', async () => {
    const disco = await startDisco({ grace: 60_000 });
    discos.push(disco);
    const at = `127.0.0.1:${disco.address().port}`;
    const engine = new ProcessEngine();
    const compiled = stack();
    let signal!: (name: string) => void;
    const first = await runAgent(options(engine, [], { compiled, disco: at, untilStopped: () => new Promise((r) => (signal = r)) }));
    signal('SIGTERM');
    await first.stop(await first.stopRequested);
    const held = readSavedSession(stateFolder('one', compiled.stack), at)!.session;

    // The next agent resumes the session, opens its DNS, then finds it cannot build an image.
    engine.imageExists = async () => false;
    engine.build = async () => {
      throw new Error('no space left on device');
    };
    const trace: string[] = [];
    await expect(runAgent(options(engine, trace, { compiled, disco: at }))).rejects.toThrow(/no space left on device/);
    expect(lifecycle(trace).closed).toEqual(['disco client']);
    expect(disco.registry.lookup('http.web.shop.test').map((p) => `${p.address.host}:${p.address.port}`)).toEqual(['192.0.2.1:32768']);
    expect(engine.byService('web')?.running).toBe(true);
    expect(readSavedSession(stateFolder('one', compiled.stack), at)?.session).toBe(held);
  });

  it('drains on the signals it is told to (Ctrl-C of a foreground scs up), and hands over on the others', async () => {
    for (const [name, drain] of [
      ['SIGINT', true],
      ['SIGTERM', false],
    ] as const) {
      const engine = new ProcessEngine();
      let signal!: (name: string) => void;
      const untilStopped = () => new Promise((resolve) => (signal = resolve));
      const running = await runAgent(options(engine, [], { untilStopped, drainOn: ['SIGINT'] }));
      signal(name);
      const ending = await running.stopRequested;
      expect(ending.drain).toBe(drain);
      await running.stop(ending);
      expect(engine.containers.size).toBe(drain ? 0 : 2);
    }
  });

  it('stops what was started when interrupted during start-up', async () => {
    const before = openListeners();
    const engine = new ProcessEngine();
    const interrupt = new AbortController();
    // The interrupt comes while the first container is being made, as during a slow pull.
    engine.create = async () => {
      interrupt.abort();
      await sleep(100);
      throw new Error('pull cancelled');
    };
    const trace: string[] = [];
    const untilStopped = () => new Promise((resolve) => interrupt.signal.addEventListener('abort', resolve));
    await expect(runAgent(options(engine, trace, { untilStopped }))).rejects.toThrow('scs up failed: interrupted');
    const { opened, closed } = lifecycle(trace);
    expect(closed).toEqual([...opened].reverse());
    await settled(before);
  });

  it('refuses to start in a state folder others can enter, or that is another user’s, in one sentence, having opened nothing', async () => {
    const engine = new ProcessEngine();
    const trace: string[] = [];
    const compiled = stack();
    // A project of its own: the folder is left another user's.
    const folder = stateFolder('refused', compiled.stack);
    mkdirSync(folder, { recursive: true });
    chmodSync(folder, 0o755);
    await expect(runAgent(options(engine, trace, { compiled, project: 'refused' }))).rejects.toThrow(
      `the agent does not start in a folder others can reach: others can enter ${folder} (mode 755); chmod 700 ${folder}`,
    );
    chmodSync(folder, 0o700);
    if (process.getuid?.() === 0) {
      chownSync(folder, 65534, 65534);
      await expect(runAgent(options(engine, trace, { compiled, project: 'refused' }))).rejects.toThrow(
        `the agent does not start in a folder others can reach: ${folder} belongs to user 65534, not to this user (0)`,
      );
    }
    expect(trace).toEqual([]);
  });

  it('keeps its control socket 0600 in a 0700 folder, one in a deep state folder in a 0700 folder of its own in the temporary folder', async () => {
    const engine = new ProcessEngine();
    const running = await runAgent(options(engine, []));
    started.push(running);
    const control = running.agent.state().control!;
    expect(statSync(control).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(control)).mode & 0o777).toBe(0o700);

    const root = process.env.SCS_STATE_DIR!;
    process.env.SCS_STATE_DIR = join(root, 'a-folder-name-long-enough'.repeat(4));
    try {
      started.push(await runAgent(options(new ProcessEngine(), [], { project: 'two' })));
    } finally {
      process.env.SCS_STATE_DIR = root;
    }
    const far = started.at(-1)!;
    const farControl = far.agent.state().control!;
    expect(farControl.startsWith(tmpdir())).toBe(true);
    expect(statSync(dirname(farControl)).mode & 0o777).toBe(0o700);
    expect(statSync(farControl).mode & 0o777).toBe(0o600);
  });

  it('takes through its control socket only stack files below the folder it was started for', async () => {
    const engine = new ProcessEngine();
    const compiled = stack();
    const running = await runAgent(options(engine, [], { compiled }));
    started.push(running);
    const elsewhere = mkdtempSync(join(tmpdir(), 'scs-elsewhere-'));
    const file = join(elsewhere, 'scs-stack.yaml');
    writeFileSync(file, 'stack: shop\nenvironment: test\nservices:\n  web: { image: nginx }\n');
    symlinkSync(file, join(compiled.directory, 'linked.yaml'));
    const control = running.agent.state().control!;
    for (const named of [
      file,
      join(compiled.directory, '..', basename(elsewhere), 'scs-stack.yaml'),
      join(compiled.directory, 'linked.yaml'),
    ]) {
      await expect(callAgent(control, { op: 'up', files: [named], services: [] }, () => {})).rejects.toThrow(
        `the agent takes only stack files below ${compiled.directory}, the folder it was started for; ${named} is not`,
      );
    }
    expect(engine.byService('web')?.spec.image).not.toBe('nginx');
  });
});
