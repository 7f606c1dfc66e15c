// A service with two instances moved to another host, on the agent's fast rig: two agents (hosts a
// and b), each on its own in-memory engine, one disco and one placement book. Make before break holds for
// every instance: none leaves host a before host b serves, even though each of a's instances is
// "another provider" to the other. test/integration/placement-move.test.ts moves on Docker.

import { join } from 'node:path';
import { createConsola } from 'consola';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.ts';
import { type PlacementBoard, PlacementHere } from '../../../src/agent/placement-here.ts';
import type { Placement } from '../../../src/protocol/placement.ts';
import { PlacementBook } from '../../../src/server/placement-book.ts';
import { compiledStack, service } from '../../helpers/compiled.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';
import { MemoryDisco } from '../../helpers/memory-disco.ts';
import { eventually, eventuallyAsync, sleep } from '../../helpers/wait.ts';

const web = () => service('web', { provides: [{ endpoint: 'http', port: 8080 }], replicas: 2 });
const NAME = 'web.shop.test';
const quiet = createConsola({ level: -999 });

function boardOf(book: PlacementBook): PlacementBoard {
  return {
    current: () => new Map(book.list().map((placement): [string, Placement] => [placement.service, placement])),
    place: async (places) => book.set(places, { by: 'agent', since: new Date().toISOString() }),
    onChange: (listener) => book.listen(() => listener()),
    heldElsewhere: async () => false,
  };
}

const agents: Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.down();
});

describe('a service with two instances, moved to another host', () => {
  it('keeps an instance serving on the old host until the new host serves, then leaves it entirely', async () => {
    const engines = { a: new FakeEngine(), b: new FakeEngine() };
    const disco = new MemoryDisco();
    const book = new PlacementBook();
    book.set([{ service: NAME, target: { host: 'a' }, cause: 'files' }], { by: 'test', since: new Date().toISOString() });
    const agentOn = (host: 'a' | 'b', prepare?: () => Promise<void>) => {
      const compiled = compiledStack([web()]);
      const agent = new Agent(compiled, {
        engine: engines[host],
        client: disco,
        advertise: host === 'a' ? '192.0.2.1' : '192.0.2.2',
        waitTimeoutMs: 5000,
        debounceMs: 20,
        holdMs: 300,
        logger: quiet,
        disco: 'memory',
        project: host,
        stateFolder: join(compiled.directory, 'state', host),
        placement: new PlacementHere(boardOf(book), { host, attrs: {} }, (name) => `${name}.shop.test`, quiet),
        ...(prepare ? { prepare } : {}),
      });
      agents.push(agent);
      return agent;
    };
    await agentOn('a').up();
    // Host b takes its time to get ready (an image to build): host a must keep serving meanwhile.
    await agentOn('b', () => sleep(400)).up();
    const hosts = async () => (await disco.list('http.web.shop.test')).map((endpoint) => endpoint.host).sort();
    expect(await hosts()).toEqual(['192.0.2.1', '192.0.2.1']);

    const seen: string[][] = [];
    const sample = setInterval(async () => seen.push(await hosts()), 5);
    book.set([{ service: NAME, target: { host: 'b' }, cause: 'move' }], { by: 'scs move', since: new Date().toISOString() });
    await eventuallyAsync(async () => (await hosts()).join() === '192.0.2.2,192.0.2.2', 10_000, "host b's two instances, and a's gone");
    clearInterval(sample);
    expect(seen.filter((hostsThen) => hostsThen.length === 0)).toEqual([]);
    await eventually(() => engines.a.containers.size === 0, 10_000, "host a's containers to go");
    expect([...engines.b.containers.values()].map((c) => c.spec.name)).toEqual(['scs-shop-test-web', 'scs-shop-test-web-2']);
  });
});
