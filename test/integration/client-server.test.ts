// The whole client against the real disco server: large replies, settling after a restart in a
// reconnect order the test controls (through the `dial` option), and a server process that stops.

import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DiscoClient, type DiscoClientOptions, type WatchEvent } from '../../src/client/client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { quietLogger } from '../helpers/logging.ts';
import { startOnPortOutsideEphemeral } from '../helpers/ports.ts';
import { eventually, sleep } from '../helpers/wait.ts';

const NAME = 'mysql.db.blog.prod';

async function client(port: number, options: Partial<DiscoClientOptions> = {}): Promise<DiscoClient> {
  const c = await DiscoClient.connect({ host: '127.0.0.1', port, name: 'test', logger: quietLogger, ...options });
  onCleanup(() => c.close());
  return c;
}

function tcp(target: { host: string; port: number }): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect(target);
    socket.once('error', reject).once('connect', () => resolve(socket));
  });
}

describe('the client against the real server', () => {
  it('takes 2,000 endpoints on one name, by require and by list', async () => {
    const server = await startDisco();
    onCleanup(() => server.close());
    const { port } = server.address();
    const provider = await client(port);
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        provider.provide({ name: NAME, host: `10.0.${i >> 8}.${i & 255}`, port: 3306, attrs: { n: String(i) } }),
      ),
    );
    const subscriber = await client(port);
    const watch = await subscriber.require({ name: NAME });
    expect(watch.endpoints).toHaveLength(2000);
    expect(new Set(watch.endpoints.map((e) => e.attrs.n)).size).toBe(2000);
    const listed = await subscriber.list();
    expect(listed).toHaveLength(2000);
    expect(listed.map((e) => e.id).sort()).toEqual(watch.endpoints.map((e) => e.id).sort());
  });

  it('after a restart, holds a provider’s endpoint until the provider registers again, even when the subscriber is back first', async () => {
    const options = { heartbeatInterval: 100, heartbeatTimeout: 400, grace: 5000 };
    // It restarts on the same port: one from outside the ephemeral range, which no outgoing connection takes meanwhile.
    let server: DiscoServer = await startOnPortOutsideEphemeral((port) => startDisco({ ...options, port }));
    onCleanup(() => server.close());
    const { port } = server.address();
    // The provider dials through a gate the test opens, so it comes back last, every time.
    let gate: Promise<void> = Promise.resolve();
    let openGate = () => {};
    const provider = await client(port, {
      dial: async (target) => {
        await gate;
        return tcp(target);
      },
      backoffMaxMs: 200,
    });
    await provider.provide({ name: NAME, host: '10.0.0.5', port: 3306 });
    const subscriber = await client(port, { backoffMaxMs: 200 });
    const events: WatchEvent[] = [];
    const watch = await subscriber.require({ name: NAME }, (event) => events.push(event));
    expect(watch.endpoints).toHaveLength(1);
    const firstId = watch.endpoints[0]!.id;

    gate = new Promise((resolve) => (openGate = resolve));
    await server.close();
    server = await startDisco({ ...options, port });
    await eventually(() => server.registry.requirementCount === 1, 5000, 'the subscriber to subscribe again');
    await sleep(300); // Its new snapshot, without the provider, has been applied by now.
    expect(server.registry.size).toBe(0);
    expect(events).toEqual([]);
    expect(watch.endpoints).toMatchObject([{ host: '10.0.0.5' }]);

    // Another provision first, so that the new server cannot hand the provider its old id again.
    await (await client(port)).provide({ name: 'other.db.blog.prod', host: '10.0.0.9', port: 3306 });
    openGate();
    await eventually(() => watch.endpoints[0] && watch.endpoints[0].id !== firstId, 5000, 'the provider to register again');
    expect(events).toEqual([]);
    expect(watch.endpoints).toHaveLength(1);
  });

  it('notices a disco process that stops answering, and resumes its session once it runs again', async () => {
    const disco = scs([
      'disco',
      '--listen',
      '127.0.0.1:0',
      '--dns',
      'off',
      '--heartbeat-interval',
      '200ms',
      '--heartbeat-timeout',
      '1s',
      '--grace',
      '10s',
    ]);
    onCleanup(() => disco.child.kill('SIGKILL'));
    const said = () => disco.stdout + disco.stderr;
    const port = Number(
      await eventually(() => /listening on tcp 127\.0\.0\.1:(\d+)/.exec(said())?.[1], 15_000, `disco to listen; it said: ${said()}`),
    );
    const c = await client(port, { waitForServer: true, backoffMaxMs: 200 });
    await c.provide({ name: NAME, host: '10.0.0.5', port: 3306 });
    const session = c.sessionId;
    const disconnected = new Promise<string>((resolve) => c.once('disconnected', resolve));
    const stoppedAt = Date.now();
    disco.child.kill('SIGSTOP');
    onCleanup(() => disco.child.kill('SIGCONT'));
    expect(await disconnected).toBe('heard nothing from disco for 1000 ms');
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(1000 - 250); // Its last line may have come up to an interval before.
    const resumed = new Promise<{ resumed: boolean; session: string }>((resolve) => c.once('connected', resolve));
    disco.child.kill('SIGCONT');
    expect(await resumed).toEqual({ resumed: true, session });
    expect((await c.list()).map((e) => e.host)).toEqual(['10.0.0.5']);
  }, 20_000);
});
