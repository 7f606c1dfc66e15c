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
