// The agent against an in-memory engine and the real registry: each rule of its life, in milliseconds.
// test/integration/up.test.ts checks the same life on the real Docker Engine.

import { consola } from 'consola';
import { afterEach, describe, expect, it } from 'vitest';
import { downAgents, envOf, forget, rig, state } from '../../helpers/agent-rig.ts';
import { compiledStack, service } from '../../helpers/compiled.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';
import { MemoryDisco } from '../../helpers/memory-disco.ts';
import { eventually, sleep } from '../../helpers/wait.ts';

const web = (over = {}) => service('web', { provides: [{ endpoint: 'http', port: 8080 }], ...over });
const client = (over = {}) => service('client', { requires: [{ endpoint: 'http', service: 'web', liveupdate: ['/update.sh'] }], ...over });

afterEach(downAgents);

describe('going down while another provider of its endpoints is up (a relocation)', () => {
  it('keeps serving for its drain after the drop, and not when it is the last provider', async () => {
    const down = async (others: boolean) => {
      const lines: string[] = [];
      const logger = consola.create({ level: 3, reporters: [{ log: (entry) => lines.push(entry.args.join(' ')) }] });
      const { disco, agent } = rig([web({ drainMs: 300 })], { logger });
      await agent.up();
      if (others) await disco.provide({ name: 'http.web.shop.test', host: '192.0.2.9', port: 8080 });
      await agent.down();
      return lines.filter((line) => /draining/.test(line));
    };
    expect(await down(true)).toEqual([expect.stringMatching(/^web: draining scs-shop-test-web for 300 ms \(scs down\)$/)]);
    expect(await down(false)).toEqual([]);
  });
});

describe('the agent', () => {
  it('starts services in order, each provided before what requires it is created', async () => {
    const { engine, agent } = rig([web(), client()]);
    await agent.up();
    expect(engine.trace()).toBe('create c1, start c1, provide http.web.shop.test 192.0.2.1:32768, create c2, start c2');
    expect(envOf(engine, 'client').SCS_REQUIRE_HTTP).toBe('192.0.2.1:32768');
  });

  it('drops a provider that dies at once, without waiting for the debounce, and live-updates what requires it', async () => {
    const { engine, agent } = rig([web(), client()], { debounceMs: 1500 });
    await agent.up();
    const updates: string[] = [];
    engine.onExec = (_id, _command, env) => {
      updates.push(env.SCS_REQUIRE_HTTP!);
      return { exitCode: 0, output: '' };
    };
    engine.calls.length = 0;
    engine.kill('c1');
    await eventually(() => engine.calls.includes('drop http.web.shop.test'), 1000, 'the drop, before the debounce could pass');
    await eventually(() => updates.length === 1, 5000, 'the live update');
    expect(updates).toEqual(['']);
    expect(engine.trace()).toBe('kill c1, drop http.web.shop.test, exec c2');
  });

  it('provides a restarted container again at its new port, and the dependent follows', async () => {
    const { engine, agent, directory } = rig([web(), client()]);
    await agent.up();
    // Its first provide is of its new container, not of one "running again".
    expect(state(directory).services[0]!.lastStep).toMatchObject({ step: 'provide', ok: true, cause: 'its new container' });
    engine.kill('c1');
    await eventually(() => engine.calls.includes('exec c2'), 2000, 'the update to nothing');
    engine.calls.length = 0;
    engine.restart('c1', { newPorts: true });
    await eventually(() => engine.calls.includes('exec c2'), 2000, 'the update to the new port');
    expect(engine.trace()).toBe('provide http.web.shop.test 192.0.2.1:32769, exec c2');
    expect(state(directory).services[0]!.lastStep).toMatchObject({ step: 'provide', ok: true, cause: 'running again' });
    await eventually(() => state(directory).services[1]!.requires[0]!.applied[0] === '192.0.2.1:32769', 2000, 'the state file');
    expect(state(directory).services[1]!.requires[0]).toMatchObject({
      current: ['192.0.2.1:32769'],
      lastUpdate: { action: 'liveupdate', ok: true },
    });
  });

  it('replaces a dependent whose live update fails, and says why', async () => {
    const { engine, agent, directory } = rig([web(), client()]);
    await agent.up();
    engine.onExec = () => ({ exitCode: 3, output: 'no' });
    engine.calls.length = 0;
    engine.kill('c1');
    await eventually(() => engine.calls.includes('start c3'), 2000, 'the replacement');
    await sleep(100);
    // client has no volume: its replacement starts first, and the old one goes once the new one is up.
    expect(engine.trace()).toBe(
      'kill c1, drop http.web.shop.test, exec c2, create c3, start c3, stop c2, remove c2, rename c3 scs-shop-test-client',
    );
    expect(envOf(engine, 'client').SCS_REQUIRE_HTTP).toBe('');
    await eventually(() => state(directory).services[1]!.lastStep?.step === 'promote', 2000, 'the state file');
    expect(state(directory).services[1]!.lastStep).toMatchObject({ ok: true, cause: 'replace: liveupdate of http failed (exit 3)' });
  });

  it('drops an unhealthy container and provides it again once healthy; a starting one waits for its own check', async () => {
    const engine = new FakeEngine();
    engine.healthOnStart = 'starting';
    let probes = 0;
    engine.onExec = () => ({ exitCode: ++probes >= 3 ? 0 : 1, output: '' });
    const { agent } = rig([web({ healthcheck: ['/check'] })], { engine });
    await agent.up();
    expect(probes).toBe(3);
    expect(engine.trace()).toBe('create c1, start c1, exec c1, exec c1, exec c1, provide http.web.shop.test 192.0.2.1:32768');
    engine.calls.length = 0;
    engine.setHealth('c1', 'unhealthy');
    await eventually(() => engine.calls.includes('drop http.web.shop.test'), 2000, 'the drop');
    engine.setHealth('c1', 'healthy');
    await eventually(() => engine.calls.length === 2, 2000, 'the provide');
    expect(engine.trace()).toBe('drop http.web.shop.test, provide http.web.shop.test 192.0.2.1:32768');
  });

  it('takes over the running containers of an agent that died, and replaces one whose configuration changed', async () => {
    const first = rig([web(), client()]);
    await first.agent.up();
    forget(first.agent); // It "died": no down.
    const engine = first.engine;
    engine.calls.length = 0;
    const second = rig([web({ env: { GREETING: 'changed' } }), client()], { engine, disco: new MemoryDisco(engine.calls) });
    await second.agent.up();
    expect(engine.trace()).toBe(
      'create c3, start c3, provide http.web.shop.test 192.0.2.1:32769, stop c1, remove c1, rename c3 scs-shop-test-web, exec c2',
    );
  });

  it('fails to come up when a container exits, saying what happened', async () => {
    const engine = new FakeEngine();
    const { agent, directory } = rig([web()], { engine });
    const originalStart = engine.start.bind(engine);
    engine.start = async (id) => {
      await originalStart(id);
      engine.kill(id, 2);
    };
    await expect(agent.up()).rejects.toThrow('web: its container exited with status 2');
    expect(state(directory)).toMatchObject({ phase: 'failed', error: expect.stringContaining('exited with status 2') });
  });

  it('comes down in reverse order, each service dropped before its container stops, and keeps volumes unless asked', async () => {
    const { engine, agent } = rig([web({ volumes: [{ name: 'data', target: '/data' }] }), client()]);
    await agent.up();
    engine.calls.length = 0;
    forget(agent);
    await agent.down();
    expect(engine.trace()).toBe('stop c2, remove c2, drop http.web.shop.test, stop c1, remove c1');
    expect(engine.volumes.has('shop-test-web-data')).toBe(true);
  });

  it('waits for what a service requires, and gives up after the wait timeout', async () => {
    const { agent } = rig([client()], { waitTimeoutMs: 100 });
    await expect(agent.up()).rejects.toThrow('timed out after 0 s waiting for http.web.shop.test (--wait-timeout)');
  });
});

describe('the agent, on one live update per move', () => {
  it('holds an empty set back, so a provider that comes straight back costs one update, to its new address', async () => {
    const { engine, agent } = rig([web(), client()], { holdMs: 1000 });
    await agent.up();
    const updates: string[] = [];
    engine.onExec = (_id, _command, env) => {
      updates.push(env.SCS_REQUIRE_HTTP!);
      return { exitCode: 0, output: '' };
    };
    engine.kill('c1');
    await eventually(() => engine.calls.includes('drop http.web.shop.test'), 2000, 'the drop');
    engine.restart('c1', { newPorts: true });
    await eventually(() => updates.length > 0, 2000, 'the update');
    await sleep(1200); // Past the hold: no update to nothing comes after.
    expect(updates).toEqual(['192.0.2.1:32769']);
  });

  it('keeps holding while another requirement moves: only that one is updated', async () => {
    const db = service('db', { provides: [{ endpoint: 'sql', port: 3306 }], restart: 'always' });
    const app = service('app', {
      requires: [
        { endpoint: 'http', service: 'web', liveupdate: ['/update.sh'] },
        { endpoint: 'sql', service: 'db', liveupdate: ['/update.sh'] },
      ],
    });
    const { engine, agent } = rig([web(), db, app], { holdMs: 60_000 });
    await agent.up();
    const updates: string[] = [];
    engine.onExec = (_id, _command, env) => {
      updates.push(`http=${env.SCS_REQUIRE_HTTP} sql=${env.SCS_REQUIRE_SQL}`);
      return { exitCode: 0, output: '' };
    };
    engine.kill('c1'); // web: held empty for a minute.
    await eventually(() => engine.calls.includes('drop http.web.shop.test'), 2000, 'the drop of web');
    engine.kill('c2');
    engine.restart('c2', { newPorts: true }); // db moves: that one is applied, web's old address kept.
    await eventually(() => updates.length > 0, 2000, 'the update');
    await sleep(100);
    expect(updates).toEqual(['http=192.0.2.1:32768 sql=192.0.2.1:32770']);
  });

  it('keeps the held endpoints in a container it replaces meanwhile', async () => {
    const db = service('db', { provides: [{ endpoint: 'sql', port: 3306 }] });
    const plain = service('plain', {
      requires: [
        { endpoint: 'http', service: 'web' },
        { endpoint: 'sql', service: 'db' },
      ],
    });
    const { engine, agent } = rig([web(), db, plain], { holdMs: 60_000 });
    await agent.up();
    engine.kill('c1');
    await eventually(() => engine.calls.includes('drop http.web.shop.test'), 2000, 'the drop of web');
    engine.kill('c2');
    engine.restart('c2', { newPorts: true });
    await eventually(() => engine.calls.includes('start c4'), 2000, 'plain to be replaced, having no live update');
    expect(envOf(engine, 'plain').SCS_REQUIRE_HTTP).toBe('192.0.2.1:32768');
    expect(envOf(engine, 'plain').SCS_REQUIRE_SQL).toBe('192.0.2.1:32770');
  });
});

describe('the agent, running', () => {
  it('converges to a newly compiled stack: adds, replaces what changed, leaves the rest, removes what is gone', async () => {
    const { engine, agent } = rig([web(), client(), service('cron')]);
    await agent.up();
    engine.calls.length = 0;
    const next = compiledStack([web({ env: { GREETING: 'changed' } }), client(), service('worker')]);
    await agent.apply(next);
    expect(engine.trace()).toBe(
      [
        'stop c3, remove c3', // cron, gone from the stack
        // web, changed: start-first, the new one provided before the old one is dropped
        'create c4, start c4, provide http.web.shop.test 192.0.2.1:32769, drop http.web.shop.test, stop c1, remove c1, rename c4 scs-shop-test-web',
        'create c5, start c5', // worker, new
      ].join(', '),
    );
    await eventually(() => engine.calls.includes('exec c2'), 2000, 'the client to follow web');
  });

  it('converges only the services named, when some are', async () => {
    const { engine, agent } = rig([web(), service('cron')]);
    await agent.up();
    engine.calls.length = 0;
    await agent.apply(compiledStack([web(), service('cron', { env: { SCHEDULE: 'hourly' } })]), ['web']);
    expect(engine.trace()).toBe('');
    await agent.apply(compiledStack([web(), service('cron', { env: { SCHEDULE: 'hourly' } })]), ['cron']);
    expect(engine.trace()).toBe('create c3, start c3, stop c2, remove c2, rename c3 scs-shop-test-cron');
  });

  it('stops, starts and restarts services on request, keeping their containers', async () => {
    const { engine, agent, directory } = rig([web(), client()]);
    await agent.up();
    engine.calls.length = 0;
    await agent.control('stop', ['web']);
    expect(engine.trace()).toBe('drop http.web.shop.test, stop c1');
    expect(state(directory).services[0]!.status).toBe('stopped (scs stop)');
    engine.calls.length = 0;
    await agent.control('start', ['web']);
    expect(engine.trace()).toBe('start c1, provide http.web.shop.test 192.0.2.1:32768');
    engine.calls.length = 0;
    await agent.control('restart', ['web']);
    expect(engine.trace()).toBe('drop http.web.shop.test, stop c1, start c1, provide http.web.shop.test 192.0.2.1:32768');
    await expect(agent.control('stop', ['db'])).rejects.toThrow('this agent does not run "db" (it runs: web, client)');
  });

  it('stops and starts every service when none is named (scs stop, scs start)', async () => {
    const { engine, agent, directory } = rig([web(), service('cron')]);
    await agent.up();
    engine.calls.length = 0;
    await agent.control('stop', []);
    // In reverse order, as down stops them.
    expect(engine.trace()).toBe('stop c2, drop http.web.shop.test, stop c1');
    expect(state(directory).services.map((s) => s.status)).toEqual(['stopped (scs stop)', 'stopped (scs stop)']);
    engine.calls.length = 0;
    await agent.control('start', []);
    expect(engine.trace()).toBe('start c1, provide http.web.shop.test 192.0.2.1:32768, start c2');
  });

  it('touches only its own containers: two agents on one engine, and one comes down', async () => {
    const engine = new FakeEngine();
    const disco = new MemoryDisco(engine.calls);
    const first = rig([web()], { engine, disco, project: 'east' });
    const second = rig([service('db', { provides: [{ endpoint: 'sql', port: 3306 }] })], {
      engine,
      disco,
      project: 'west',
      directory: first.directory,
    });
    await first.agent.up();
    await second.agent.up();
    forget(first.agent);
    await first.agent.down();
    expect([...engine.containers.values()].map((c) => `${c.spec.name} ${c.spec.labels['scs.agent']}`)).toEqual(['scs-shop-test-db west']);
    expect(state(first.directory, 'west').services[0]!.status).toBe('running');
    expect(state(first.directory, 'east').phase).toBe('stopped');
  });

  it('reports a container removed behind its back as lost, and drops what it provided', async () => {
    const { engine, agent, directory } = rig([web()]);
    await agent.up();
    engine.calls.length = 0;
    await engine.remove('c1');
    await eventually(() => engine.calls.includes('drop http.web.shop.test'), 2000, 'the drop');
    await eventually(() => state(directory).services[0]!.status === 'lost: removed outside scs', 2000, 'the state file');
    engine.calls.length = 0;
    await agent.apply(compiledStack([web()]));
    expect(engine.trace()).toBe('create c2, start c2, provide http.web.shop.test 192.0.2.1:32769');
  });
});

describe('the agent, replacing a service', () => {
  it('replaces a stateless provider make-before-break: its dependent moves over in one update, before the old one stops', async () => {
    const { engine, agent } = rig([web({ drainMs: 150 }), client()], { debounceMs: 50 });
    await agent.up();
    const updates: Array<{ env: string; oldRunning: boolean }> = [];
    engine.onExec = (_id, _command, env) => {
      updates.push({ env: env.SCS_REQUIRE_HTTP!, oldRunning: engine.containers.get('c1')?.running === true });
      return { exitCode: 0, output: '' };
    };
    engine.calls.length = 0;
    await agent.apply(compiledStack([web({ drainMs: 150, env: { GREETING: 'new' } }), client()]));
    expect(engine.trace()).toMatch(
      /^create c3, start c3, provide http\.web\.shop\.test 192\.0\.2\.1:32769, drop http\.web\.shop\.test, (exec c2, )?stop c1, remove c1, rename c3 scs-shop-test-web/,
    );
    await eventually(() => updates.length > 0, 2000, 'the update');
    await sleep(100);
    expect(updates).toEqual([{ env: '192.0.2.1:32769', oldRunning: true }]);
  });

  it('replaces a service with a volume it may not share stop-first', async () => {
    const { engine, agent } = rig([web({ volumes: [{ name: 'data', target: '/data' }] })]);
    await agent.up();
    engine.calls.length = 0;
    await agent.apply(compiledStack([web({ volumes: [{ name: 'data', target: '/data' }], env: { GREETING: 'new' } })]));
    expect(engine.trace()).toBe(
      'drop http.web.shop.test, stop c1, remove c1, create c2, start c2, provide http.web.shop.test 192.0.2.1:32769',
    );
  });

  it('adopts the containers of an agent from before scs.service, labelled scs.role, and labels their replacements scs.service', async () => {
    const first = rig([web(), client()]);
    await first.agent.up();
    forget(first.agent); // It "died".
    const engine = first.engine;
    for (const [id, container] of engine.containers) {
      const { 'scs.service': service, ...labels } = container.spec.labels;
      engine.containers.set(id, { ...container, spec: { ...container.spec, labels: { ...labels, 'scs.role': service! } } });
    }
    engine.calls.length = 0;
    const second = rig([web({ env: { GREETING: 'changed' } }), client()], { engine, disco: new MemoryDisco(engine.calls) });
    await second.agent.up();
    // The old client is kept as it is; the old web is taken over, then replaced because its configuration changed.
    expect(engine.trace()).toBe(
      'create c3, start c3, provide http.web.shop.test 192.0.2.1:32769, stop c1, remove c1, rename c3 scs-shop-test-web, exec c2',
    );
    const labels = (name: string) => [...engine.containers.values()].find((c) => c.spec.name === name)!.spec.labels;
    expect(labels('scs-shop-test-web')).toMatchObject({ 'scs.service': 'web' });
    expect(labels('scs-shop-test-web')['scs.role']).toBeUndefined();
    expect(labels('scs-shop-test-client')).toMatchObject({ 'scs.role': 'client' });
    expect(state(second.directory).services.map((s) => [s.service, s.container])).toEqual([
      ['web', 'c3'],
      ['client', 'c2'],
    ]);
  });

  it('clears away the next container of a replacement an earlier agent did not finish', async () => {
    const first = rig([web()]);
    await first.agent.up();
    forget(first.agent); // It "died".
    const engine = first.engine;
    await engine.create({ ...engine.containers.get('c1')!.spec, name: 'scs-shop-test-web-next' });
    engine.calls.length = 0;
    const second = rig([web()], { engine, disco: new MemoryDisco(engine.calls), directory: first.directory });
    await second.agent.up();
    expect(engine.trace()).toBe('remove c2, provide http.web.shop.test 192.0.2.1:32768');
  });
});
