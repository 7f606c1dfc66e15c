import { describe, expect, it } from 'vitest';
import { DiscoClient, type WatchEvent } from '../../src/client/client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { quietLogger } from '../helpers/logging.ts';
import { startOnPortOutsideEphemeral } from '../helpers/ports.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import { eventually, sleep } from '../helpers/wait.ts';
import { WirePeer } from '../helpers/wire.ts';

const NAME = 'mysql.db.blog.prod';

async function disco(options: Parameters<typeof startDisco>[0] = {}): Promise<DiscoServer> {
  const server = await startDisco(options);
  onCleanup(() => server.close());
  return server;
}

async function client(port: number, name = 'test'): Promise<DiscoClient> {
  const c = await DiscoClient.connect({ host: '127.0.0.1', port, name, logger: quietLogger });
  onCleanup(() => c.close());
  return c;
}

async function watch(port: number) {
  const events: Array<WatchEvent & { at: number }> = [];
  const c = await client(port, 'subscriber');
  const w = await c.require({ name: NAME }, (event) => events.push({ ...event, at: Date.now() }));
  return { client: c, watch: w, events };
}

function spawnProvider(port: number, address: string): Running {
  const running = scs(['provide', NAME, address, '--disco', `127.0.0.1:${port}`, '--attr', 'az=us-east-1a']);
  onCleanup(() => running.child.kill('SIGKILL'));
  return running;
}

describe('a provider that goes away', () => {
  it('is dropped after the grace when its process is killed with SIGKILL', async () => {
    const server = await disco({ heartbeatInterval: 100, heartbeatTimeout: 400, grace: 500 });
    const { port } = server.address();
    const subscriber = await watch(port);
    const provider = spawnProvider(port, '10.0.0.5:3306');
    await eventually(() => subscriber.events.some((e) => e.add.length === 1), 15_000, 'the provider to register');
    expect(subscriber.watch.endpoints).toMatchObject([{ host: '10.0.0.5', port: 3306, attrs: { az: 'us-east-1a' } }]);

    const killedAt = Date.now();
    provider.child.kill('SIGKILL');
    const drop = await eventually(() => subscriber.events.find((e) => e.drop.length === 1), 5000, 'the drop');
    // Socket loss starts the grace: the drop comes no sooner, and well within timeout + grace.
    expect(drop.at - killedAt).toBeGreaterThanOrEqual(450);
    expect(drop.at - killedAt).toBeLessThan(400 + 500 + 1000);
    expect(subscriber.watch.endpoints).toEqual([]);
  });

  it('is dropped after heartbeat timeout and grace when it falls silent with its socket open', async () => {
    const timeout = 1000;
    const grace = 1000;
    const server = await disco({ heartbeatInterval: 200, heartbeatTimeout: timeout, grace });
    const { port } = server.address();
    const subscriber = await watch(port);
    const silent = await WirePeer.session(port); // Never answers the server's pings.
    onCleanup(() => silent.destroy());
    // The last thing the server hears from it is sent after this instant, so load can only make
    // the drop later than timeout + grace from here, never earlier (5 ms: timer and clock rounding).
    const lastSentAt = Date.now();
    await silent.request({ op: 'provide', id: 1, name: NAME, host: '10.0.0.9', port: 3306 });
    const drop = await eventually(() => subscriber.events.find((e) => e.drop.length === 1), 10 * (timeout + grace), 'the drop');
    expect(drop.at - lastSentAt).toBeGreaterThanOrEqual(timeout + grace - 5);
    expect(silent.messages.some((m) => m.op === 'ping')).toBe(true);
    await silent.waitClosed();
  });

  it('causes no drop when it reconnects and resumes within the grace', async () => {
    const server = await disco({ heartbeatInterval: 100, heartbeatTimeout: 400, grace: 1500 });
    const { port } = server.address();
    const subscriber = await watch(port);
    const proxy = await CuttableProxy.start(port);
    onCleanup(() => proxy.close());
    const provider = await client(proxy.port, 'provider');
    await provider.provide({ name: NAME, host: '10.0.0.5', port: 3306 });
    await eventually(() => subscriber.events.length === 1, 3000, 'the add');

    const resumed = new Promise((resolve) => provider.once('connected', resolve));
    proxy.cut();
    expect(await resumed).toMatchObject({ resumed: true });
    await sleep(1800); // Past the grace: had the session been lost, the drop would be here by now.
    expect(subscriber.events).toHaveLength(1);
    expect(server.registry.size).toBe(1);
  });

  it('gets the pushes it missed while cut off, once it resumes', async () => {
    const server = await disco({ heartbeatInterval: 100, heartbeatTimeout: 400, grace: 2000 });
    const { port } = server.address();
    const proxy = await CuttableProxy.start(port);
    onCleanup(() => proxy.close());
    const subscriber = await watch(proxy.port);
    const provider = await client(port, 'provider');
    proxy.cut();
    await provider.provide({ name: NAME, host: '10.0.0.7', port: 3306 }); // While the subscriber is away.
    await eventually(() => subscriber.events.length === 1, 3000, 'the replayed add');
    expect(subscriber.events[0]!.add).toMatchObject([{ host: '10.0.0.7' }]);
    expect(subscriber.watch.endpoints).toHaveLength(1);
  });
});

describe('a disco server that restarts', () => {
  // The grace must outlast the client's reconnect backoff (at most 1.2 s a try), as the defaults
  // do (10 s), or a provider that is slow to come back is rightly reported gone. 5 s leaves room
  // for a few missed tries on a loaded machine.
  const options = { heartbeatInterval: 100, heartbeatTimeout: 400, grace: 5000 };

  it('gets everything back from its clients, and subscribers converge without flapping', async () => {
    // It restarts on the same port: one from outside the ephemeral range, which no outgoing connection takes meanwhile.
    let server = await startOnPortOutsideEphemeral((port) => startDisco({ ...options, port }));
    const { port } = server.address();
    onCleanup(() => server.close());
    const subscriber = await watch(port);
    const stays = await client(port, 'stays');
    const leaves = await client(port, 'leaves');
    await stays.provide({ name: NAME, host: '10.0.0.5', port: 3306 });
    await leaves.provide({ name: NAME, host: '10.0.0.6', port: 3306 });
    await eventually(() => subscriber.watch.endpoints.length === 2, 3000, 'both endpoints');
    const before = subscriber.events.length;

    await server.close();
    await leaves.close(); // Leaves while disco is down: nobody could be told.
    await sleep(300);
    server = await startDisco({ ...options, port });
    const upAt = Date.now();

    // Everything comes back within the grace, which is what keeps subscribers from flapping.
    await eventually(() => server.registry.size === 1 && server.registry.requirementCount === 1, options.grace, 're-registration');
    expect(Date.now() - upAt).toBeLessThan(options.grace);
    // The endpoint that left is dropped once its grace has run out with no provider coming back.
    await eventually(() => subscriber.watch.endpoints.length === 1, 2 * options.grace, 'the subscriber to converge');
    expect(subscriber.watch.endpoints).toMatchObject([{ host: '10.0.0.5' }]);
    // It was told of the one real change, the endpoint that left, and nothing else.
    const after = subscriber.events.slice(before);
    expect(after.flatMap((e) => e.add)).toEqual([]);
    expect(after.flatMap((e) => e.drop)).toMatchObject([{ host: '10.0.0.6' }]);

    // And the new session is live: a new provision reaches the subscriber.
    await leaves.close();
    const again = await client(port, 'again');
    await again.provide({ name: NAME, host: '10.0.0.8', port: 3306 });
    await eventually(() => subscriber.watch.endpoints.length === 2, 2000, 'the new endpoint');
  });
});

describe('scs CLI', () => {
  it('require --json --exec prints every change and runs the command with SCS_REQUIRE_*', async () => {
    const server = await disco();
    const { port } = server.address();
    const watcher = scs(
      ['require', NAME, '--json', '--exec', 'echo "EXEC[$SCS_REQUIRE_MYSQL|$SCS_REQUIRE_MYSQL_HOST|$SCS_REQUIRE_MYSQL_PORT]"'],
      {
        SCS_DISCO: `127.0.0.1:${port}`,
      },
    );
    onCleanup(() => watcher.child.kill('SIGKILL'));
    await eventually(() => watcher.stdout.includes('EXEC[||]'), 15_000, 'the first run');
    const provider = await client(port);
    const handle = await provider.provide({ name: NAME, host: '10.0.0.5', port: 3306 });
    await eventually(() => watcher.stdout.includes('EXEC[10.0.0.5:3306|10.0.0.5|3306]'), 5000, 'the run after the add');
    await handle.drop();
    await eventually(() => watcher.stdout.split('EXEC[||]').length === 3, 5000, 'the run after the drop');
    watcher.child.kill('SIGINT');
    expect(await watcher.exited).toBe(0);
    const events = watcher.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(events.map((e) => e.event)).toEqual(['initial', 'changed', 'changed']);
    expect(events[1]).toMatchObject({ add: [{ host: '10.0.0.5', port: 3306 }], drop: [] });
    expect(events[2]).toMatchObject({ add: [], drop: [{ host: '10.0.0.5' }], endpoints: [] });
  });

  it('ls shows what is registered, as a table and as JSON', async () => {
    const server = await disco();
    const { port } = server.address();
    const provider = await client(port);
    await provider.provide({ name: NAME, host: '10.0.0.5', port: 3306, attrs: { az: 'us-east-1a' } });
    const table = scs(['ls', '--disco', `127.0.0.1:${port}`]);
    expect(await table.exited).toBe(0);
    expect(table.stdout).toMatch(/mysql\.db\.blog\.prod\s+10\.0\.0\.5:3306\s+tcp\s+az=us-east-1a/);
    const json = scs(['ls', '--json', '--disco', `127.0.0.1:${port}`]);
    expect(await json.exited).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject([{ name: NAME, host: '10.0.0.5', attrs: { az: 'us-east-1a' } }]);
  });

  it.each([
    // Usage errors exit 2, a disco that cannot be reached 3 (docs/cli.md).
    [['provide', 'my_sql.db.blog', '10.0.0.5:3306'], /name: endpoint "my_sql" must be letters/, 2],
    [['provide', 'mysql.db.blog', '10.0.0.5'], /--address: "10.0.0.5" is not an address/, 2],
    [['provide', 'mysql.db.blog', '10.0.0.5:1', '--attr', 'az'], /--attr: "az" is not key=value/, 2],
    [['ls', '--disco', '127.0.0.1:1'], /cannot reach disco at 127.0.0.1:1: connection refused/, 3],
    [['ls', '--colour'], /Unknown option `--colour`/, 2],
  ])('scs %j fails with one clear sentence', async (args, message, code) => {
    const run = scs(args);
    expect(await run.exited).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // No stack trace without --debug.
  });
});
