// The executor acts on what a step carries as data, never on its cause, which is for people: a create
// marked as a replacement records that the requirements it takes new values for were updated by a
// restart, whatever the cause says, and a create not so marked records nothing, whatever the cause says.

import { consola } from 'consola';
import { describe, expect, it } from 'vitest';
import { Executor } from '../../../src/agent/executor.ts';
import { newFacts } from '../../../src/agent/facts.ts';
import type { Step } from '../../../src/agent/plan.ts';
import { service } from '../../helpers/compiled.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';
import { MemoryDisco } from '../../helpers/memory-disco.ts';

async function executed(step: Step) {
  const engine = new FakeEngine();
  const disco = new MemoryDisco();
  await disco.provide({ name: 'http.web.shop.test', host: '10.0.0.5', port: 8080 });
  const facts = newFacts(service('client', { requires: [{ endpoint: 'http', service: 'web' }] }));
  const requirement = facts.requires[0]!;
  requirement.watch = await disco.require({ name: requirement.compiled.name });
  requirement.applied = ['10.0.0.4:8080'];
  const executor = new Executor({
    engine,
    discovery: disco,
    advertise: '192.0.2.1',
    waitTimeoutMs: 1000,
    holdMs: 0,
    identity: { stack: 'shop', environment: 'test', project: 'one', host: 'here' },
    logger: consola.create({ level: 0 }),
  });
  await executor.execute(facts, step);
  expect(engine.containers.size).toBe(1);
  return requirement;
}

describe('the executor reads the step, not its cause', () => {
  it('records a restart for a replacement whose cause says something else', async () => {
    const requirement = await executed({ kind: 'create', cause: 'its configuration changed', replacing: true });
    expect(requirement.lastUpdate).toMatchObject({ action: 'restart', ok: true, endpoints: ['10.0.0.5:8080'] });
    expect(requirement.applied).toEqual(['10.0.0.5:8080']);
  });

  it('records no restart for a create that is not a replacement, even if its cause begins with "replace"', async () => {
    const requirement = await executed({ kind: 'create', cause: 'replace: its configuration changed' });
    expect(requirement.lastUpdate).toBeUndefined();
    expect(requirement.applied).toEqual(['10.0.0.5:8080']);
  });
});

describe('the executor says what it does to a container', () => {
  it('stopping and stopped, then removed: what scs down shows while the agent drains', async () => {
    const engine = new FakeEngine();
    const said: string[] = [];
    const logger = consola.create({ level: 3 });
    logger.info = ((message: string) => void said.push(message)) as typeof logger.info;
    logger.success = ((message: string) => void said.push(message)) as typeof logger.success;
    const facts = newFacts(service('web'));
    const executor = new Executor({
      engine,
      discovery: new MemoryDisco(),
      advertise: '192.0.2.1',
      waitTimeoutMs: 1000,
      holdMs: 0,
      identity: { stack: 'shop', environment: 'test', project: 'one', host: 'here' },
      logger,
    });
    for (const kind of ['create', 'start'] as const) await executor.execute(facts, { kind, cause: 'no container yet' });
    said.length = 0;
    for (const kind of ['stop', 'remove'] as const) await executor.execute(facts, { kind, cause: 'scs down' });
    expect(said).toEqual([
      'web: stopping scs-shop-test-web (scs down)',
      'web: stopped scs-shop-test-web',
      'web: removed scs-shop-test-web (scs down)',
    ]);
  });
});
