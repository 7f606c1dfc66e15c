// What `scs ps` finds (src/agent/status.ts), as data, for a copy of examples/hello against the
// in-memory engine: each service's container and state, and its volumes, with or without an agent.

import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerLabels, hostLabel } from '../../../src/agent/identity.ts';
import { stackStatus } from '../../../src/agent/status.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';

class ReadingEngine extends FakeEngine {
  async ping(): Promise<void> {}
}

function hello(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scs-status-'));
  cpSync(join(import.meta.dirname, '../../../examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('/.scs') });
  return dir;
}

describe('stackStatus', () => {
  it('says each service is not created, with its volumes, when nothing runs', async () => {
    const dir = hello();
    const status = await stackStatus({ file: join(dir, 'scs-stack.yaml'), projectName: 'one' }, new ReadingEngine());
    expect(status).toMatchObject({ stack: 'hello', environment: 'dev', project: 'one', agent: null });
    expect(status.services.map((s) => [s.service, s.container, s.state, s.id])).toEqual([
      ['web', 'scs-hello-dev-web', 'not created', undefined],
      ['client', 'scs-hello-dev-client', 'not created', undefined],
    ]);
    expect(status.services[1]!.volumes).toEqual([{ name: 'state', method: 'named', state: 'hello-dev-client-state not created' }]);
  });

  it("finds this project's container of a service by its labels, and says what Docker says of it", async () => {
    const dir = hello();
    const engine = new ReadingEngine();
    const identity = { stack: 'hello', environment: 'dev', project: 'one', host: hostLabel() };
    const id = await engine.create({
      name: 'scs-hello-dev-web',
      image: 'x',
      env: {},
      labels: containerLabels(identity, 'web'),
      publish: {},
      network: 'bridge',
      restart: 'no',
      mounts: [],
    });
    await engine.start(id);
    // Another project's container of the same service is not this agent's.
    await engine.create({
      ...{ name: 'other', image: 'x', env: {}, publish: {}, network: 'bridge', restart: 'no', mounts: [] },
      labels: containerLabels({ ...identity, project: 'two' }, 'web'),
    });
    const status = await stackStatus({ file: join(dir, 'scs-stack.yaml'), projectName: 'one' }, engine);
    expect(status.services[0]).toMatchObject({ service: 'web', id, state: 'running', host: hostLabel() });
    expect(status.services[1]).toMatchObject({ service: 'client', state: 'not created' });
  });
});
