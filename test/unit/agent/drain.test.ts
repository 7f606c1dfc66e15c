// The agent and its stack's instances records, against an in-memory engine, the real registry and the
// real instances book: a drain that covers this host drops the service's endpoints and leaves its
// container running; an undrain provides them again; a drain of another host or instance changes
// nothing here; a service drained before the agent starts is never provided; and the stack files'
// replicas: are set, a later scale standing until the files change. test/integration/drain.test.ts
// checks the same on the real Docker Engine and disco.

import { join } from 'node:path';
import { consola } from 'consola';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.ts';
import { hostLabel } from '../../../src/agent/identity.ts';
import { type InstancesBoard, InstancesHere } from '../../../src/agent/instances-here.ts';
import { readState } from '../../../src/agent/state.ts';
import type { CompiledService } from '../../../src/manifest/compiled.ts';
import { type Instances, type InstancesEdit, scaleEdits } from '../../../src/protocol/instances.ts';
import { InstancesBook } from '../../../src/server/instances-book.ts';
import { compiledStack, service } from '../../helpers/compiled.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';
import { MemoryDisco } from '../../helpers/memory-disco.ts';
import { eventually } from '../../helpers/wait.ts';

const web = (over = {}) => service('web', { provides: [{ endpoint: 'http', port: 8080 }], ...over });
const operator = { by: 'scs drain', since: '2026-12-07T06:00:00.000Z' };

/** A board over the real book, as disco keeps it: what the agent reads and sets. */
function boardOf(book: InstancesBook): InstancesBoard {
  return {
    current: () => new Map(book.list().map((record): [string, Instances] => [record.service, record])),
    scale: async (scales) => book.edit(scaleEdits(scales), { by: 'agent', since: operator.since }),
    onChange: (listener) => book.listen(() => listener()),
  };
}

const agents: Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.down();
});

function rig(services: CompiledService[], book = new InstancesBook()) {
  const engine = new FakeEngine();
  const disco = new MemoryDisco(engine.calls);
  const lines: string[] = [];
  const logger = consola.create({ level: 3, reporters: [{ log: (entry) => lines.push(entry.args.join(' ')) }] });
  const compiled = compiledStack(services);
  const instances = new InstancesHere(boardOf(book), hostLabel(), (name) => `${name}.${compiled.stack}.${compiled.environment}`, logger);
  const stateFolder = join(compiled.directory, 'state', 'one');
  const agent = new Agent(compiled, {
    engine,
    client: disco,
    advertise: '192.0.2.1',
    waitTimeoutMs: 2000,
    debounceMs: 20,
    holdMs: 300,
    logger,
    disco: 'memory',
    project: 'one',
    stateFolder,
    instances,
  });
  agents.push(agent);
  const edit = (edit: Omit<InstancesEdit, 'service'>) => book.edit([{ service: 'web.shop.test', ...edit }], operator);
  return { engine, agent, book, lines, edit, status: () => readState(stateFolder)!.services[0]!.status };
}

describe('a drain', () => {
  it('drops the endpoints of the service here and keeps its container; an undrain provides them again', async () => {
    const { engine, agent, edit, status } = rig([web()]);
    await agent.up();
    engine.calls.length = 0;
    edit({ drains: [{ host: hostLabel(), drained: true }] });
    await eventually(() => engine.calls.includes('drop http.web.shop.test'), 2000, 'the drop');
    expect(engine.byService('web')?.running).toBe(true);
    expect(status()).toBe('running (drained)');
    expect(agent.member().services[0]).toMatchObject({ state: 'running', drained: true, provides: [] });

    edit({ drains: [{ drained: false }] });
    await eventually(() => engine.calls.some((call) => call.startsWith('provide ')), 2000, 'the provide');
    expect(engine.trace()).toBe('drop http.web.shop.test, provide http.web.shop.test 192.0.2.1:32768');
    expect(status()).toBe('running');
    expect(agent.member().services[0]?.drained).toBeUndefined();
  });

  it('of another host or another instance changes nothing here', async () => {
    const { engine, agent, edit, book } = rig([web()]);
    await agent.up();
    engine.calls.length = 0;
    edit({
      drains: [
        { host: 'elsewhere', drained: true },
        { instance: 2, drained: true },
      ],
    });
    expect(book.get('web.shop.test')?.drained).toHaveLength(2);
    // The pass a drain would ask for is immediate: a wrong one would show within this look.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.trace()).toBe('');
  });

  it('stored before the agent starts: the service starts and is never provided', async () => {
    const book = new InstancesBook();
    book.edit([{ service: 'web.shop.test', drains: [{ instance: 1, drained: true }] }], operator);
    const { engine, agent } = rig([web()], book);
    await agent.up();
    expect(engine.trace()).toBe('create c1, start c1');
  });

  it('of a provider: what requires it starts without waiting for it, and is updated once it is undrained', async () => {
    const book = new InstancesBook();
    book.edit([{ service: 'web.shop.test', drains: [{ drained: true }] }], operator);
    const client = service('client', { requires: [{ endpoint: 'http', service: 'web', liveupdate: ['/update.sh'] }] });
    const { engine, agent, edit } = rig([web(), client], book);
    await agent.up();
    expect(engine.trace()).toBe('create c1, start c1, create c2, start c2');
    edit({ drains: [{ drained: false }] });
    await eventually(() => engine.calls.includes('exec c2'), 3000, 'the live update of the client');
  });
});

describe("the stack files' replicas:", () => {
  it('are set when none is stored, and a scale stands until the files say another count, which is said', async () => {
    const book = new InstancesBook();
    const first = rig([web({ replicas: 2 })], book);
    await first.agent.up();
    expect(book.get('web.shop.test')?.replicas).toEqual({ count: 2, cause: 'files', files: 2 });
    book.edit([{ service: 'web.shop.test', replicas: { count: 5, cause: 'scale' } }], operator);
    await first.agent.apply(compiledStack([web({ replicas: 2 })]));
    expect(book.get('web.shop.test')?.replicas).toEqual({ count: 5, cause: 'scale', files: 2 });
    // The files changed their count: theirs is set again, saying what it replaced.
    await first.agent.apply(compiledStack([web({ replicas: 3 })]));
    expect(book.get('web.shop.test')?.replicas).toEqual({ count: 3, cause: 'files', files: 3 });
    expect(first.lines).toContain('web: replicas 3 from the stack files (was 5 by scs scale)');
  });
});

describe('instances, counted in disco', () => {
  it('follow a scs scale: new instances start, and the highest go first when it shrinks', async () => {
    const { engine, agent, book, lines } = rig([web()]);
    await agent.up();
    engine.calls.length = 0;
    book.edit([{ service: 'web.shop.test', replicas: { count: 3, cause: 'scale' } }], operator);
    await eventually(() => engine.containers.size === 3, 2000, 'instances 2 and 3');
    expect([...engine.containers.values()].map((c) => c.spec.name)).toEqual([
      'scs-shop-test-web',
      'scs-shop-test-web-2',
      'scs-shop-test-web-3',
    ]);
    expect(lines).toContain('web: scaling from 1 to 3 instances');
    await eventually(() => engine.calls.filter((call) => call.startsWith('provide ')).length === 2, 2000, 'their endpoints');
    engine.calls.length = 0;
    book.edit([{ service: 'web.shop.test', replicas: { count: 1, cause: 'scale' } }], operator);
    await eventually(() => engine.containers.size === 1, 2000, 'one instance left');
    expect(engine.trace()).toBe('drop http.web.shop.test, stop c3, remove c3, drop http.web.shop.test, stop c2, remove c2');
  });

  it('are drained one at a time: a drain of instance 2 drops its endpoint alone', async () => {
    const { engine, agent, edit } = rig([web({ replicas: 2 })]);
    await agent.up();
    engine.calls.length = 0;
    edit({ drains: [{ instance: 2, drained: true }] });
    await eventually(() => engine.calls.includes('drop http.web.shop.test'), 2000, 'the drop');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.trace()).toBe('drop http.web.shop.test');
    expect(agent.member().services.map((s) => [s.instance, s.drained, s.provides.length])).toEqual([
      [undefined, undefined, 1],
      [2, true, 0],
    ]);
  });
});
