// The stack network pinned to a subnet (network.subnet in the stack file), on a real Docker daemon:
// made with that subnet and its first address as the gateway, where the host DNS is served; one that
// exists with another subnet is refused in one sentence, and left as it is.

import { afterEach, describe, expect, it } from 'vitest';
import { ownerLabels } from '../../src/agent/identity.ts';
import { attachStack } from '../../src/agent/network-attachment.ts';
import { stackNetworkName } from '../../src/agent/stack-network.ts';
import { pinnedSubnet } from '../../src/cidr.ts';
import { compiledStack, service } from '../helpers/compiled.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { quietLogger } from '../helpers/logging.ts';

const identity = { stack: 'pinned', environment: 'nettest', project: 'p', host: 'h' };
const network = stackNetworkName(identity);
const discovery = { require: () => Promise.reject(new Error('no DNS here')), on: () => undefined, off: () => undefined };

afterEach(async () => {
  await engine.removeNetwork(network);
});

function attach(subnet: string) {
  return attachStack({
    engine,
    compiled: { ...compiledStack([service('web')]), stack: identity.stack, environment: identity.environment, subnet, dns: 'none' },
    identity,
    discovery,
    localEndpoints: () => [],
    logger: quietLogger,
    holdMs: 0,
  });
}

describe.skipIf(dockerProblem !== undefined)(`a pinned stack network${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  it('is made with the subnet the stack file pins, its gateway the first address', async () => {
    await attach('10.233.7.0/24');
    expect(await engine.networkInfo(network)).toEqual({ subnet: '10.233.7.0/24', gateway: '10.233.7.1' });
  });

  it('that exists with another subnet is refused in one sentence, and kept as it is', async () => {
    await engine.ensureNetwork(network, ownerLabels(identity), pinnedSubnet('10.233.8.0/24'));
    await expect(attach('10.233.9.0/24')).rejects.toThrow(
      `the stack network ${network} has the subnet 10.233.8.0/24, and the stack file pins 10.233.9.0/24: ` +
        'scs down removes the network, and the next scs up makes it with 10.233.9.0/24',
    );
    expect(await engine.networkInfo(network)).toEqual({ subnet: '10.233.8.0/24', gateway: '10.233.8.1' });
  });
});
