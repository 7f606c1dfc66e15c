// Replicas on the agent's fast rig: each instance its own container and endpoint, a replacement
// that rolls one instance at a time, and scaling up and down. test/integration/replicas.test.ts
// checks the same on the real Docker Engine.

import { afterEach, describe, expect, it } from 'vitest';
import { instanceService } from '../../../src/agent/instances.ts';
import { downAgents, envOf, forget, rig, state } from '../../helpers/agent-rig.ts';
import { compiledStack, service } from '../../helpers/compiled.ts';
import { eventually } from '../../helpers/wait.ts';

afterEach(downAgents);

const web = (over = {}) => service('web', { provides: [{ endpoint: 'http', port: 8080 }], replicas: 2, ...over });
const client = () => service('client', { requires: [{ endpoint: 'http', service: 'web', liveupdate: ['/update.sh'] }] });
const names = (engine: { containers: Map<string, { spec: { name: string } }> }) => [...engine.containers.values()].map((c) => c.spec.name);

describe('a service with replicas', () => {
  it('runs each instance as its own container, each providing its own endpoint, and its dependents get all', async () => {
    const { engine, agent, directory } = rig([web(), client()]);
    await agent.up();
    expect(engine.trace()).toBe(
      'create c1, start c1, provide http.web.shop.test 192.0.2.1:32768, create c2, start c2, provide http.web.shop.test 192.0.2.1:32769, create c3, start c3',
    );
    expect(names(engine)).toEqual(['scs-shop-test-web', 'scs-shop-test-web-2', 'scs-shop-test-client']);
    // Instance 1 carries the labels it always had: a stack that grows to two instances replaces nothing.
    expect(engine.containers.get('c1')!.spec.labels['scs.instance']).toBeUndefined();
    expect(engine.containers.get('c2')!.spec.labels['scs.instance']).toBe('2');
    expect(envOf(engine, 'client').SCS_REQUIRE_HTTP).toBe('192.0.2.1:32768;192.0.2.1:32769');
    expect(state(directory).services.map((s) => [s.service, s.instance, s.containerName])).toEqual([
      ['web', undefined, 'scs-shop-test-web'],
      ['web', 2, 'scs-shop-test-web-2'],
      ['client', undefined, 'scs-shop-test-client'],
    ]);
  });

  it("drops a dying instance's endpoint at once, and the other keeps serving", async () => {
    const { engine, agent } = rig([web(), client()], { debounceMs: 1500 });
    await agent.up();
    const updates: string[] = [];
    engine.onExec = (_id, _command, env) => {
      updates.push(env.SCS_REQUIRE_HTTP!);
      return { exitCode: 0, output: '' };
    };
    engine.calls.length = 0;
    engine.kill('c2');
    await eventually(() => updates.length === 1, 5000, 'the live update');
    expect(updates).toEqual(['192.0.2.1:32768']);
    expect(engine.trace()).toBe('kill c2, drop http.web.shop.test, exec c3');
  });

  it('rolls a replacement one instance at a time, each serving before the next is touched', async () => {
    const { engine, agent, disco } = rig([web()]);
    await agent.up();
    engine.calls.length = 0;
    const serving: number[] = [];
    const sample = setInterval(async () => serving.push((await disco.list('http.web.shop.test')).length), 1);
    await agent.apply(compiledStack([web({ env: { GREETING: 'new' } })]));
    clearInterval(sample);
    expect(engine.trace()).toBe(
      [
        'create c3, start c3, provide http.web.shop.test 192.0.2.1:32770, drop http.web.shop.test, stop c1, remove c1, rename c3 scs-shop-test-web',
        'create c4, start c4, provide http.web.shop.test 192.0.2.1:32771, drop http.web.shop.test, stop c2, remove c2, rename c4 scs-shop-test-web-2',
      ].join(', '),
    );
    expect(Math.min(...serving)).toBeGreaterThanOrEqual(2 - 1);
  });

  it('stops the roll at an instance that fails, and leaves the others as they were', async () => {
    const { engine, agent } = rig([web()]);
    await agent.up();
    const originalStart = engine.start.bind(engine);
    engine.start = async (id) => {
      await originalStart(id);
      engine.kill(id, 2);
    };
    engine.calls.length = 0;
    await expect(agent.apply(compiledStack([web({ env: { GREETING: 'new' } })]))).rejects.toThrow(/exited with status 2/);
    // Instance 1's new container failed; instance 1's old one and instance 2 were never stopped.
    expect(engine.trace()).not.toMatch(/stop c1|stop c2|create c4/);
    expect(engine.containers.get('c1')!.running).toBe(true);
    expect(engine.containers.get('c2')!.running).toBe(true);
  });

  it('scales up and down: new instances start, and the highest go first, dropped before they stop', async () => {
    const { engine, agent } = rig([web()]);
    await agent.up();
    engine.calls.length = 0;
    await agent.apply(compiledStack([web({ replicas: 3 })]));
    expect(engine.trace()).toBe('create c3, start c3, provide http.web.shop.test 192.0.2.1:32770');
    expect(engine.containers.get('c3')!.spec.name).toBe('scs-shop-test-web-3');
    engine.calls.length = 0;
    await agent.apply(compiledStack([web({ replicas: 1 })]));
    expect(engine.trace()).toBe('drop http.web.shop.test, stop c3, remove c3, drop http.web.shop.test, stop c2, remove c2');
    expect(names(engine)).toEqual(['scs-shop-test-web']);
  });

  it('gives each instance its own copy of a volume only one may hold, and all the same shareable one', async () => {
    const volumes = [
      { name: 'data', target: '/data' },
      { name: 'media', target: '/media', shareable: true },
    ];
    const second = instanceService(web({ volumes }), 2);
    expect(second.container.volumes.map((v) => [v.name, v.source])).toEqual([
      ['data-2', 'shop-test-web-data-2'],
      ['media', 'shop-test-web-media'],
    ]);
    expect(instanceService(web({ volumes }), 1).container.volumes.map((v) => v.source)).toEqual([
      'shop-test-web-data',
      'shop-test-web-media',
    ]);
  });

  it('runs none with replicas: 0', async () => {
    const { engine, agent } = rig([web({ replicas: 0 })]);
    await agent.up();
    expect(engine.trace()).toBe('');
  });

  it('retires the instances beyond the count that the agent before it left running (scaled down while it was away)', async () => {
    const first = rig([web({ replicas: 3 })]);
    await first.agent.up();
    // Handed over: its containers run on, and the next agent takes them.
    first.agent.leave();
    forget(first.agent);
    const { engine, agent } = rig([web({ replicas: 1 })], { engine: first.engine, disco: first.disco });
    await agent.up();
    expect(names(engine)).toEqual(['scs-shop-test-web']);
    expect(engine.calls.filter((call) => call.startsWith('remove'))).toEqual(['remove c3', 'remove c2']);
  });
});
