// A client given several disco addresses (`--disco a,b`, SCS_DISCO, DiscoClientOptions.addresses)
// uses the first that answers, and moves on when it loses one.

import { describe, expect, it } from 'vitest';
import { DiscoClient } from '../../src/client/client.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { quietLogger } from '../helpers/logging.ts';
import { portOutsideEphemeral } from '../helpers/ports.ts';
import { eventually } from '../helpers/wait.ts';

const at = (port: number) => ({ host: '127.0.0.1', port });

describe('several disco addresses', () => {
  it('connects to the first that answers', async () => {
    const dead = portOutsideEphemeral();
    const live = await startDisco();
    onCleanup(() => live.close());
    const addresses = [at(dead), at(live.address().port)];
    const client = await DiscoClient.connect({ ...addresses[0]!, addresses, logger: quietLogger });
    onCleanup(() => client.close());
    expect(client.connected).toBe(true);
    expect(live.sessionCount).toBe(1);
  });

  it('fails only when none answers, naming every address', async () => {
    const addresses = [at(portOutsideEphemeral()), at(portOutsideEphemeral())];
    const failed = DiscoClient.connect({ ...addresses[0]!, addresses, logger: quietLogger });
    await expect(failed).rejects.toMatchObject({ code: 'unreachable' });
    await expect(failed).rejects.toThrow(`127.0.0.1:${addresses[0]!.port} nor at 127.0.0.1:${addresses[1]!.port}`);
  });

  it('moves to the next server when it loses its own, and registers there', async () => {
    const first = await startDisco();
    const second = await startDisco();
    onCleanup(() => second.close());
    const addresses = [at(first.address().port), at(second.address().port)];
    const client = await DiscoClient.connect({ ...addresses[0]!, addresses, logger: quietLogger, backoffMaxMs: 100 });
    onCleanup(() => client.close());
    await client.provide({ name: 'web.hello.dev', host: '10.0.0.1', port: 80 });
    await first.close();
    // Two servers without a shared registry: the second knows nothing, so the client registers again.
    await eventually(() => second.registry.size === 1, 5000, 'the provision on the second server');
    expect(second.registry.list()[0]!.address.port).toBe(80);
  });

  it('scs ls takes a list in --disco and in SCS_DISCO', async () => {
    const live = await startDisco();
    onCleanup(() => live.close());
    const client = await DiscoClient.connect({ ...at(live.address().port), logger: quietLogger });
    onCleanup(() => client.close());
    await client.provide({ name: 'web.hello.dev', host: '10.0.0.1', port: 80 });
    const list = `127.0.0.1:${portOutsideEphemeral()},127.0.0.1:${live.address().port}`;
    const byFlag = scs(['ls', '--disco', list]);
    expect(await byFlag.exited).toBe(0);
    expect(byFlag.stdout).toContain('web.hello.dev');
    const byEnv = scs(['ls'], { SCS_DISCO: list });
    expect(await byEnv.exited).toBe(0);
    expect(byEnv.stdout).toContain('web.hello.dev');
    const bad = scs(['ls', '--disco', '127.0.0.1:9640,nonsense']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr).toContain('--disco: "nonsense" is not an address');
  });
});
