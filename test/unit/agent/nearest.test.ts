// Nearest first, as an agent applies it: what it provides carries its host's zone and dc, and what it
// requires is listed nearest first relative to its own place, in SCS_REQUIRE_* (so _HOST and _PORT name
// the nearest) and in live updates, unless the requirement says `order: stable`.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.ts';
import type { CompiledService } from '../../../src/manifest/compiled.ts';
import type { Place } from '../../../src/registry/nearest.ts';
import { compiledStack, service } from '../../helpers/compiled.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';
import { quietLogger } from '../../helpers/logging.ts';
import { MemoryDisco } from '../../helpers/memory-disco.ts';
import { eventually } from '../../helpers/wait.ts';

const agents: Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.down();
});

function rig(services: CompiledService[], place: Place | undefined, disco = new MemoryDisco()) {
  const engine = new FakeEngine();
  const compiled = compiledStack(services);
  const agent = new Agent(compiled, {
    engine,
    client: disco,
    advertise: '192.0.2.1',
    waitTimeoutMs: 2000,
    debounceMs: 20,
    holdMs: 300,
    logger: quietLogger,
    disco: 'memory',
    project: 'one',
    stateFolder: join(compiled.directory, 'state', 'one'),
    ...(place ? { place } : {}),
  });
  agents.push(agent);
  return { engine, disco, agent };
}

const client = (order?: 'stable') => {
  const made = service('client', { requires: [{ endpoint: 'http', service: 'web', liveupdate: ['/update.sh'] }] });
  return { ...made, requires: made.requires.map((r) => ({ ...r, ...(order ? { order } : {}) })) };
};

/** web's endpoints in three places, provided in an order that is not the stable one. */
async function providers(disco: MemoryDisco) {
  const at = (host: string, attrs: Record<string, string>) => disco.provide({ name: 'http.web.shop.test', host, port: 80, attrs });
  await at('10.0.0.3', { zone: 'a1', dc: 'a' });
  await at('10.0.0.1', { zone: 'b1', dc: 'b' });
  await at('10.0.0.2', { az: 'a2', dc: 'a' });
}

const requireEnvOf = (engine: FakeEngine) => {
  const env = engine.byService('client')!.spec.env;
  return [env.SCS_REQUIRE_HTTP, env.SCS_REQUIRE_HTTP_HOST, env.SCS_REQUIRE_HTTP_PORT];
};

describe('what an agent requires, nearest first', () => {
  it('lists the same zone, then the same dc, then the rest, and names the nearest in _HOST', async () => {
    const disco = new MemoryDisco();
    await providers(disco);
    const { engine, agent } = rig([client()], { zone: 'a1', dc: 'a' }, disco);
    await agent.up();
    expect(requireEnvOf(engine)).toEqual(['10.0.0.3:80;10.0.0.2:80;10.0.0.1:80', '10.0.0.3', '80']);
  });

  it('orders from the agent’s own place: another zone’s agent gets another order', async () => {
    const disco = new MemoryDisco();
    await providers(disco);
    const { engine, agent } = rig([client()], { zone: 'b1', dc: 'b' }, disco);
    await agent.up();
    expect(requireEnvOf(engine)).toEqual(['10.0.0.1:80;10.0.0.2:80;10.0.0.3:80', '10.0.0.1', '80']);
  });

  it('keeps the stable order with order: stable, or for an agent of no known place', async () => {
    for (const [order, place] of [
      ['stable', { zone: 'b1', dc: 'b' }],
      [undefined, undefined],
    ] as const) {
      const disco = new MemoryDisco();
      await providers(disco);
      const { engine, agent } = rig([client(order)], place, disco);
      await agent.up();
      expect(requireEnvOf(engine)).toEqual(['10.0.0.1:80;10.0.0.2:80;10.0.0.3:80', '10.0.0.1', '80']);
      await agent.down();
    }
  });

  it('live-updates with the nearest first', async () => {
    const disco = new MemoryDisco();
    await providers(disco);
    const { engine, agent } = rig([client()], { zone: 'b1', dc: 'b' }, disco);
    const updates: string[] = [];
    engine.onExec = async (_id, _command, env) => {
      updates.push(env.SCS_REQUIRE_HTTP!);
      return { exitCode: 0, output: '' };
    };
    await agent.up();
    const near = await disco.provide({ name: 'http.web.shop.test', host: '10.0.0.9', port: 80, attrs: { zone: 'b1', dc: 'b' } });
    await eventually(() => updates.length === 1, 2000, 'the live update');
    expect(updates).toEqual(['10.0.0.1:80;10.0.0.9:80;10.0.0.2:80;10.0.0.3:80']);
    await near.drop();
    await eventually(() => updates.length === 2, 2000, 'the live update after the drop');
    expect(updates[1]).toBe('10.0.0.1:80;10.0.0.2:80;10.0.0.3:80');
  });
});

describe('order changed in the stack files', () => {
  it('is applied by a live update once the agent is given the files again', async () => {
    const disco = new MemoryDisco();
    await providers(disco);
    const { engine, agent } = rig([client()], { zone: 'b1', dc: 'b' }, disco);
    const updates: string[] = [];
    engine.onExec = async (_id, _command, env) => {
      updates.push(env.SCS_REQUIRE_HTTP!);
      return { exitCode: 0, output: '' };
    };
    await agent.up();
    await disco.provide({ name: 'http.web.shop.test', host: '10.0.0.0', port: 80, attrs: {} });
    await eventually(() => updates.length === 1, 2000, 'the live update');
    expect(updates[0]).toBe('10.0.0.1:80;10.0.0.0:80;10.0.0.2:80;10.0.0.3:80');
    await agent.apply(compiledStack([client('stable')]));
    await eventually(() => updates.length === 2, 2000, 'the live update to the stable order');
    expect(updates[1]).toBe('10.0.0.0:80;10.0.0.1:80;10.0.0.2:80;10.0.0.3:80');
  });
});

describe('what an agent provides', () => {
  it('carries its zone and dc, unless the stack file says its own', async () => {
    const web = service('web', {
      provides: [
        { endpoint: 'http', port: 8080 },
        { endpoint: 'admin', port: 9090 },
      ],
    });
    const own = { ...web, provides: web.provides.map((p) => (p.endpoint === 'admin' ? { ...p, attributes: { az: 'x9', dc: 'x' } } : p)) };
    const { disco, agent } = rig([own], { zone: 'a1', dc: 'a' });
    await agent.up();
    expect((await disco.list('http.web.shop.test')).map((e) => e.attrs)).toEqual([{ zone: 'a1', dc: 'a' }]);
    expect((await disco.list('admin.web.shop.test')).map((e) => e.attrs)).toEqual([{ az: 'x9', dc: 'x' }]);
  });

  it('carries nothing it does not know', async () => {
    const { disco, agent } = rig([service('web', { provides: [{ endpoint: 'http', port: 8080 }] })], undefined);
    await agent.up();
    expect((await disco.list('http.web.shop.test')).map((e) => e.attrs)).toEqual([{}]);
  });
});
