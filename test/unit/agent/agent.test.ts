// The agent against an in-memory engine and the real registry: each rule of its life, in milliseconds.
// test/integration/up.test.ts checks the same life on the real Docker Engine.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.ts';
import type { AgentState } from '../../../src/agent/state.ts';
import type { ServicePlan } from '../../../src/manifest/compile.ts';
import { eventually, quietLogger, sleep } from '../../helpers/disco.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';
import { MemoryDisco } from '../../helpers/memory-disco.ts';
import { service, stackPlan } from '../../helpers/plans.ts';

const web = (over = {}) => service('web', { provides: [{ endpoint: 'http', port: 8080 }], ...over });
const client = (over = {}) => service('client', { requires: [{ endpoint: 'http', role: 'web', liveupdate: ['/update.sh'] }], ...over });

interface Rig {
  engine: FakeEngine;
  disco: MemoryDisco;
  agent: Agent;
  directory: string;
}

const agents: Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.down();
});

function rig(services: ServicePlan[], { engine = new FakeEngine(), disco = new MemoryDisco(engine.calls), debounceMs = 20, waitTimeoutMs = 2000 } = {}): Rig {
  const plan = stackPlan(services);
  const agent = new Agent(plan, { engine, client: disco, advertise: '192.0.2.1', waitTimeoutMs, debounceMs, logger: quietLogger, disco: 'memory' });
  agents.push(agent);
  return { engine, disco, agent, directory: plan.directory };
}

const state = (directory: string) => JSON.parse(readFileSync(join(directory, '.scs/state.json'), 'utf8')) as AgentState;
const envOf = (engine: FakeEngine, role: string) => engine.byRole(role)!.spec.env;

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
    engine.onExec = (_id, _command, env) => (updates.push(env.SCS_REQUIRE_HTTP!), { exitCode: 0, output: '' });
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
    engine.kill('c1');
    await eventually(() => engine.calls.includes('exec c2'), 2000, 'the update to nothing');
    engine.calls.length = 0;
    engine.restart('c1', { newPorts: true });
    await eventually(() => engine.calls.includes('exec c2'), 2000, 'the update to the new port');
    expect(engine.trace()).toBe('provide http.web.shop.test 192.0.2.1:32769, exec c2');
    await eventually(() => state(directory).services[1]!.requires[0]!.applied[0] === '192.0.2.1:32769', 2000, 'the state file');
    expect(state(directory).services[1]!.requires[0]).toMatchObject({ current: ['192.0.2.1:32769'], lastUpdate: { action: 'liveupdate', ok: true } });
  });

  it('replaces a dependent whose live update fails, and says why', async () => {
    const { engine, agent, directory } = rig([web(), client()]);
    await agent.up();
    engine.onExec = () => ({ exitCode: 3, output: 'no' });
    engine.calls.length = 0;
    engine.kill('c1');
    await eventually(() => engine.calls.includes('start c3'), 2000, 'the replacement');
    await sleep(100);
    expect(engine.trace()).toBe('kill c1, drop http.web.shop.test, exec c2, stop c2, remove c2, create c3, start c3');
    expect(envOf(engine, 'client').SCS_REQUIRE_HTTP).toBe('');
    await eventually(() => state(directory).services[1]!.lastStep?.step === 'ready', 2000, 'the state file');
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
    agents.pop(); // It "died": no down.
    const engine = first.engine;
    engine.calls.length = 0;
    const second = rig([web({ env: { GREETING: 'changed' } }), client()], { engine, disco: new MemoryDisco(engine.calls) });
    await second.agent.up();
    expect(engine.trace()).toBe(
      'stop c1, remove c1, create c3, start c3, provide http.web.shop.test 192.0.2.1:32769, exec c2',
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
    agents.pop();
    await agent.down();
    expect(engine.trace()).toBe('stop c2, remove c2, drop http.web.shop.test, stop c1, remove c1');
    expect(engine.volumes.has('shop-test-web-data')).toBe(true);
  });

  it('waits for what a service requires, and gives up after the wait timeout', async () => {
    const { agent } = rig([client()], { waitTimeoutMs: 100 });
    await expect(agent.up()).rejects.toThrow('timed out after 0 s waiting for http.web.shop.test (--wait-timeout)');
  });
});
