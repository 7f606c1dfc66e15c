// The host DNS while disco is away (docs/dns.md): a name whose provider was dropped a moment before
// disco went keeps answering until disco is back, since only disco can bring the provider's provide
// again; once disco is back and the name has not returned, its hold runs out as usual. Real parts: a
// disco server restarted on its port, the agent's client, the host DNS on loopback, and dig.

import { describe, expect, it } from 'vitest';
import { DiscoClient } from '../../src/client/client.ts';
import { HostDns } from '../../src/hostdns/host-dns.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { dig } from '../helpers/dns.ts';
import { quietLogger } from '../helpers/logging.ts';
import { startOnPortOutsideEphemeral } from '../helpers/ports.ts';
import { eventually, eventuallyAsync, sleep } from '../helpers/wait.ts';

const HOLD_MS = 300;
const NAME = 'web.shop.prod.disco';

describe('the host DNS while disco is away', () => {
  it('keeps a name dropped just before disco went until disco is back, then lets its hold run out', async () => {
    let disco: DiscoServer | undefined;
    let port = 0;
    const startOurDisco = async () => {
      disco = await startDisco({ port });
    };
    port = await startOnPortOutsideEphemeral(async (chosen) => {
      port = chosen;
      await startOurDisco();
      return chosen;
    });
    onCleanup(() => disco?.close());
    const connect = () => DiscoClient.connect({ host: '127.0.0.1', port, logger: quietLogger });
    const provider = await connect();
    onCleanup(() => provider.close());
    const agent = await connect();
    onCleanup(() => agent.close());
    // A stand-in stack network on loopback: dig asks from 127.0.0.1, the gateway, which sees the mirror itself.
    const host = await HostDns.start({
      network: { gateway: '127.0.0.1', subnet: '127.0.0.0/31' },
      port: 0,
      discovery: agent,
      zone: 'disco',
      upstreams: [],
      localEndpoints: () => [],
      holdMs: HOLD_MS,
      logger: quietLogger,
    });
    // The client goes first: the watch's goodbye would otherwise wait for a disco that a failure left away.
    onCleanup(async () => {
      await agent.close();
      await host.close();
    });
    const answer = async () => (await dig(host.port, NAME, 'A')).answer;

    const web = await provider.provide({ name: 'http.web.shop.prod', host: '10.0.0.7', port: 8080 });
    await eventuallyAsync(async () => (await answer()).length > 0, 3000, 'the host DNS to answer web');
    // The provider restarts: disco drops it, and goes away before it is provided again.
    await web.drop();
    await disco!.close();
    await eventually(() => !agent.connected, 3000, 'the agent to notice that disco is away');
    await sleep(3 * HOLD_MS);
    expect(await answer()).toEqual([`${NAME}. 5 IN A 10.0.0.7`]);

    // Back, disco has no web: the hold runs its time from then, and the name goes.
    await startOurDisco();
    await eventually(() => agent.connected, 5000, 'the agent to reconnect');
    await eventuallyAsync(async () => (await answer()).length === 0, 3000, 'the hold to run out once disco is back');
  });
});
