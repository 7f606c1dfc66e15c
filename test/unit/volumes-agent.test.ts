// The agent's down lets go of every volume through its provisioner, and one that cannot be let go
// of is said without stopping the rest from coming down.

import { consola } from 'consola';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.ts';
import { compiledStack, service } from '../helpers/compiled.ts';
import { FakeEngine } from '../helpers/fake-engine.ts';
import { MemoryDisco } from '../helpers/memory-disco.ts';

function agentWith(engine: FakeEngine, errors: string[], infos: string[] = []) {
  const logger = consola.create({ level: 0 });
  logger.error = ((message: string) => {
    errors.push(message);
  }) as typeof logger.error;
  logger.info = ((message: string) => {
    infos.push(message);
  }) as typeof logger.info;
  const compiled = compiledStack([
    service('db', { volumes: [{ name: 'data', target: '/data' }] }),
    service('web', { volumes: [{ name: 'cache', target: '/cache' }] }),
  ]);
  return new Agent(compiled, {
    engine,
    client: new MemoryDisco(engine.calls),
    advertise: '192.0.2.1',
    waitTimeoutMs: 2000,
    debounceMs: 20,
    holdMs: 300,
    logger,
    disco: 'memory',
    project: 'one',
  });
}

describe('down and the volumes', () => {
  it('deletes each service volume with --volumes', async () => {
    const engine = new FakeEngine();
    const agent = agentWith(engine, []);
    await agent.up();
    expect([...engine.volumes].sort()).toEqual(['shop-test-db-data', 'shop-test-web-cache']);
    await agent.down({ volumes: true });
    expect([...engine.volumes]).toEqual([]);
  });

  it('says which volume it could not delete, and still takes every other service down', async () => {
    const engine = new FakeEngine();
    const errors: string[] = [];
    const agent = agentWith(engine, errors);
    await agent.up();
    const remove = engine.removeVolume.bind(engine);
    engine.removeVolume = async (name) => {
      if (name === 'shop-test-web-cache') throw new Error('it is in use by another container');
      await remove(name);
    };
    await agent.down({ volumes: true });
    expect(errors).toEqual(['web: could not release volume cache: it is in use by another container']);
    expect([...engine.volumes]).toEqual(['shop-test-web-cache']);
    expect(await engine.list({})).toEqual([]);
  });
});

describe('a volume left from an earlier run', () => {
  const found = (infos: string[]) => infos.filter((line) => line.includes('which exists already'));

  it('is said when up takes it on, once; a volume up made is not', async () => {
    const engine = new FakeEngine();
    await engine.ensureVolume('shop-test-db-data', {});
    const infos: string[] = [];
    const agent = agentWith(engine, [], infos);
    await agent.up();
    expect(found(infos)).toEqual(['db: using volume shop-test-db-data, which exists already']);
    await agent.down();
    expect([...engine.volumes].sort()).toEqual(['shop-test-db-data', 'shop-test-web-cache']);

    // The next run finds both.
    const again: string[] = [];
    const next = agentWith(engine, [], again);
    await next.up();
    expect(found(again).sort()).toEqual([
      'db: using volume shop-test-db-data, which exists already',
      'web: using volume shop-test-web-cache, which exists already',
    ]);
    await next.down({ volumes: true });
  });
});
