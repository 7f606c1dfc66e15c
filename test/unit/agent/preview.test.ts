// `scs up --dry-run` shows a service's volumes made as steps of its plan, as Compose shows "Volume x
// Created": only what is to be done. A volume that exists as wanted is not shown; an NFS volume made
// with other options is, since provisioning it is where that mistake is said.

import { consola } from 'consola';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.ts';
import { hostLabel } from '../../../src/agent/identity.ts';
import { previewUp } from '../../../src/agent/preview.ts';
import { attachmentAt, stackNetworkName } from '../../../src/agent/stack-network.ts';
import type { CompiledService } from '../../../src/manifest/compiled.ts';
import type { Instances } from '../../../src/protocol/instances.ts';
import { nfsDriver } from '../../../src/volumes/nfs.ts';
import { compiledStack, service } from '../../helpers/compiled.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';
import { MemoryDisco } from '../../helpers/memory-disco.ts';

const built = async () => true;
const nfs = { server: '10.0.0.9', path: '/exports/db', version: '4', options: undefined };

/** db with an NFS volume `data`, in place of the named one the sketch gives. */
function withNfs(): CompiledService {
  const db = service('db', { volumes: [{ name: 'data', target: '/data' }] });
  const [volume] = db.container.volumes;
  return { ...db, container: { ...db.container, volumes: [{ ...volume!, method: 'nfs', nfs }] } };
}

describe('scs up --dry-run and volumes', () => {
  it('shows a named volume provisioned before the first container, and not once it exists', async () => {
    const engine = new FakeEngine();
    const compiled = compiledStack([service('db', { volumes: [{ name: 'data', target: '/data' }] })]);
    expect(await previewUp(compiled, 'one', engine, built)).toBe(
      [
        'db: provision volume data (no container yet)',
        'db: create (no container yet)',
        'db: start (no container yet)',
        'db: ready (its new container)',
      ].join('\n'),
    );
    expect(engine.volumes.size).toBe(0); // A dry run makes nothing.

    await engine.ensureVolume('shop-test-db-data', {});
    expect(await previewUp(compiled, 'one', engine, built)).toBe(
      ['db: create (no container yet)', 'db: start (no container yet)', 'db: ready (its new container)'].join('\n'),
    );
  });

  it('shows no volume step for a service that is up with its volume, only that it is taken over', async () => {
    const engine = new FakeEngine();
    const compiled = compiledStack([service('db', { volumes: [{ name: 'data', target: '/data' }] })]);
    // On the stack network, with its DNS, as `scs up` puts it and the dry run expects it.
    const identity = { stack: compiled.stack, environment: compiled.environment, project: 'one', host: hostLabel() };
    const { gateway } = await engine.ensureNetwork(stackNetworkName(identity));
    const agent = new Agent(compiled, {
      attachment: attachmentAt(compiled, identity, gateway),
      engine,
      client: new MemoryDisco(),
      advertise: '192.0.2.1',
      waitTimeoutMs: 2000,
      debounceMs: 20,
      logger: consola.create({ level: 0 }),
      disco: 'memory',
      project: 'one',
    });
    await agent.up();
    // A new agent knows nothing of readiness before it looks: it waits for the running container, and keeps it.
    expect(await previewUp(compiled, 'one', engine, built)).toBe('db: ready (running, and up to date)');
    await agent.down();
  });

  it('shows an NFS volume provisioned unless it exists with the options wanted', async () => {
    const engine = new FakeEngine();
    const compiled = compiledStack([withNfs()]);
    expect(await previewUp(compiled, 'one', engine, built)).toContain('db: provision volume data (no container yet)\ndb: create');

    await engine.ensureVolume('shop-test-db-data', {}, nfsDriver(nfs));
    expect(await previewUp(compiled, 'one', engine, built)).not.toContain('provision');

    await engine.removeVolume('shop-test-db-data');
    await engine.ensureVolume('shop-test-db-data', {}, nfsDriver({ ...nfs, server: '10.0.0.8' }));
    expect(await previewUp(compiled, 'one', engine, built)).toContain('db: provision volume data (no container yet)');
  });
});

describe('scs up --dry-run and replicas', () => {
  const web = (over = {}) => service('web', { provides: [{ endpoint: 'http', port: 8080 }], replicas: 2, ...over });
  const record = (over: Partial<Instances> = {}): Instances => ({
    service: 'web.shop.test',
    drained: [],
    by: 'scs scale',
    since: '2026-12-07T06:00:00.000Z',
    revision: 1,
    ...over,
  });
  const stored = (instances?: Instances) => ({ elsewhere: new Map<string, string>(), instances: () => instances });

  it('plans each instance, with the count disco keeps unless the files changed theirs, and no provide for a drained one', async () => {
    const engine = new FakeEngine();
    const plan = (compiled: CompiledService, instances?: Instances) =>
      previewUp(compiledStack([compiled]), 'one', engine, built, undefined, stored(instances));
    expect(await plan(web())).toMatch(
      /^web: create .*\nweb: provide \(its new container\)\nweb-2: create .*\nweb-2: provide \(its new container\)$/s,
    );
    // A scs scale to 3 stands while the files still say what they said last (2).
    const scaled = record({ replicas: { count: 3, cause: 'scale', files: 2 } });
    expect((await plan(web(), scaled)).match(/^web(-\d)?: create/gm)).toEqual(['web: create', 'web-2: create', 'web-3: create']);
    // Files that now say 1 set it again.
    expect((await plan(web({ replicas: 1 }), scaled)).match(/^web(-\d)?: create/gm)).toEqual(['web: create']);
    // Instance 2 drained on this host: created and started, not provided.
    const drained = record({
      replicas: { count: 2, cause: 'files', files: 2 },
      drained: [{ instance: 2, by: 'scs drain', since: '2026-12-07T06:00:00.000Z' }],
    });
    const lines = (await plan(web(), drained)).split('\n');
    expect(lines.filter((line) => line.startsWith('web-2:') && line.includes('provide'))).toEqual([]);
    expect(lines.filter((line) => line.startsWith('web:') && line.includes('provide'))).toHaveLength(1);
  });

  it('shows the instances beyond the count that Docker still has, the highest first', async () => {
    const engine = new FakeEngine();
    const compiled = compiledStack([web({ replicas: 3 })]);
    // On the stack network, with its DNS, as `scs up` puts it and the dry run expects it.
    const identity = { stack: compiled.stack, environment: compiled.environment, project: 'one', host: hostLabel() };
    const { gateway } = await engine.ensureNetwork(stackNetworkName(identity));
    const agent = new Agent(compiled, {
      attachment: attachmentAt(compiled, identity, gateway),
      engine,
      client: new MemoryDisco(engine.calls),
      advertise: '192.0.2.1',
      waitTimeoutMs: 2000,
      debounceMs: 20,
      logger: consola.create({ level: -999 }),
      disco: 'memory',
      project: 'one',
      stateFolder: compiledStack([]).directory,
    });
    await agent.up();
    try {
      const plan = await previewUp(compiledStack([web({ replicas: 1 })]), 'one', engine, built);
      // A new agent knows nothing before it looks: it waits for the running container, and provides it again.
      expect(plan.split('\n')).toEqual([
        'web: ready (running, and up to date)',
        'web: provide (running, and up to date)',
        'web-3: drop, stop and remove (scaled to 1)',
        'web-2: drop, stop and remove (scaled to 1)',
      ]);
      // Spread, with instances 1 and 3 here by the members disco lists: 2 is another host's, and hands over.
      const spread = web({ replicas: 3, spread: { by: 'zone' } });
      const shared = await previewUp(compiledStack([spread]), 'one', engine, built, undefined, {
        elsewhere: new Map(),
        instances: () => undefined,
        spreadHere: () => [1, 3],
      });
      expect(shared.split('\n')).toEqual([
        'web: ready (running, and up to date)',
        'web: provide (running, and up to date)',
        'web-3: ready (running, and up to date)',
        'web-3: provide (running, and up to date)',
        'web-2: serves until its host by the spread provides it, then drop, stop and remove',
      ]);
    } finally {
      await agent.down();
    }
  });
});
