// Where a published port listens: loopback and the advertised address by default, so that
// `localhost:PORT` works and other containers and hosts reach it where disco says, and nowhere
// else; every interface only when the stack file opts in (`publish: { address: 0.0.0.0 }`). The
// containers are created, never started: Docker's HostConfig is what they would listen on.

import { describe, expect, it } from 'vitest';
import { isHostAddress, publishAddresses } from '../../src/agent/advertise.ts';
import { containerSpec } from '../../src/agent/spec.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { compileAt, project } from '../helpers/project.ts';

const IDENTITY = { stack: 'publish', environment: 'test', project: 'agentnet', host: 'agentnet' };

/** The host addresses Docker was told to publish 8080/tcp on, as `docker inspect` shows them. */
async function bindingsOf(publish: string): Promise<Array<{ HostIp: string; HostPort: string }>> {
  const dir = project({
    'scs-stack.yaml': `name: publish\nenvironment: test\nservices:\n  web:\n    image: ./web\n    provides:\n      http: { publish: ${publish} }\n`,
    'web/scs.yaml': 'from: scs-base:busybox\nprovides:\n  http: { port: 8080 }\ncommand: [sleep, "3600"]\n',
  });
  const service = compileAt(dir).services[0]!;
  const gateway = (await engine.bridgeGateway())!;
  const { on } = publishAddresses(gateway, await isHostAddress(gateway));
  const spec = containerSpec(service, IDENTITY, new Map(), { network: 'bridge', publishOn: on });
  const id = await engine.create({ ...spec, image: 'scs-base:busybox', name: `scs-publish-test-${process.pid}-${Date.now()}` });
  onCleanup(() => engine.remove(id));
  const inspected = await engine.docker.getContainer(id).inspect();
  return inspected.HostConfig.PortBindings['8080/tcp'];
}

describe.skipIf(dockerProblem !== undefined)(`published ports${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  it('listen on 127.0.0.1 and the advertised address (the bridge gateway on one host) by default', async () => {
    const gateway = (await engine.bridgeGateway())!;
    expect(await bindingsOf('18080')).toEqual([
      { HostIp: '127.0.0.1', HostPort: '18080' },
      { HostIp: gateway, HostPort: '18080' },
    ]);
  });

  it('listen on every interface only when the stack file says address: 0.0.0.0', async () => {
    expect(await bindingsOf('{ port: 18080, address: 0.0.0.0 }')).toEqual([{ HostIp: '0.0.0.0', HostPort: '18080' }]);
  });
});
