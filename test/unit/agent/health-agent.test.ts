// The agent's own health checks (the stack file's `health:`) against the in-memory engine and the real
// registry: an exec check answered by the fake engine, an http and a tcp check against real listeners
// on 127.0.0.1, each dropping the instance from disco when it fails and providing it again when it passes.
// test/integration/health.test.ts checks the same on the real Docker Engine.

import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.ts';
import { readState } from '../../../src/agent/state.ts';
import type { CompiledHealth, CompiledService, HealthProbe } from '../../../src/manifest/compiled.ts';
import { compiledStack, service } from '../../helpers/compiled.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';
import { quietLogger, recordingLogger } from '../../helpers/logging.ts';
import { MemoryDisco } from '../../helpers/memory-disco.ts';
import { eventually, eventuallyAsync } from '../../helpers/wait.ts';

const NAME = 'http.web.shop.test';

const health = (probe: HealthProbe, over: Partial<CompiledHealth> = {}): CompiledHealth => ({
  probe,
  intervalMs: 50,
  timeoutMs: 500,
  retries: 2,
  startPeriodMs: 0,
  startIntervalMs: 20,
  flap: { changes: 3, withinMs: 60_000, holdMs: 30_000 },
  ...over,
});

const web = (check: CompiledHealth, publish?: number): CompiledService => ({
  ...service('web', { provides: [{ endpoint: 'http', port: 8080 }], ...(publish ? { publish } : {}) }),
  health: check,
});

const agents: Agent[] = [];
const servers: Array<{ close: () => void }> = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.down();
  for (const server of servers.splice(0)) server.close();
});

function rig(services: CompiledService[], { logger = quietLogger, engine = new FakeEngine(), waitTimeoutMs = 5000 } = {}) {
  const disco = new MemoryDisco();
  const compiled = compiledStack(services);
  const agent = new Agent(compiled, {
    engine,
    client: disco,
    // Published ports are reached here by the http and tcp checks.
    advertise: '127.0.0.1',
    waitTimeoutMs,
    debounceMs: 20,
    holdMs: 100,
    logger,
    disco: 'memory',
    project: 'one',
    stateFolder: join(compiled.directory, 'state', 'one'),
  });
  agents.push(agent);
  const provided = async () => (await disco.list(NAME)).length > 0;
  const record = () => readState(join(compiled.directory, 'state', 'one'))?.services.find((s) => s.service === 'web');
  return { engine, disco, agent, provided, record };
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => server.close() });
  return (server.address() as AddressInfo).port;
}

describe("the agent's health checks", () => {
  it('drop an instance whose exec check fails `retries` times, and provide it again after one success', async () => {
    const engine = new FakeEngine();
    let passing = true;
    engine.onExec = () => (passing ? { exitCode: 0, output: '' } : { exitCode: 1, output: 'mysqld is not answering\n' });
    const { agent, provided, record } = rig([web(health({ kind: 'exec', command: ['mysqladmin', 'ping'] }))], { engine });
    await agent.up();
    expect(await provided()).toBe(true);
    passing = false;
    await eventuallyAsync(async () => !(await provided()), 5000, 'the drop');
    await eventually(() => record()?.status.includes('unhealthy'), 5000, 'the state file saying so');
    expect(record()).toMatchObject({
      status: 'running (unhealthy: 2 failures: exit 1: mysqld is not answering)',
      health: 'unhealthy: 2 failures: exit 1: mysqld is not answering',
      lastStep: { step: 'drop', cause: 'its health check fails (2 failures: exit 1: mysqld is not answering)' },
    });
    expect(agent.member().services[0]).toMatchObject({ health: 'unhealthy' });
    passing = true;
    await eventuallyAsync(provided, 5000, 'provided again');
    await eventually(() => record()?.lastStep?.cause === 'its health check passes again', 5000, 'the cause');
    expect(agent.member().services[0]).toMatchObject({ health: 'healthy' });
  });

  it('wait for the first success before providing a new instance', async () => {
    const engine = new FakeEngine();
    let passing = false;
    engine.onExec = () => ({ exitCode: passing ? 0 : 1, output: '' });
    const { agent, provided } = rig([web(health({ kind: 'exec', command: ['true'] }))], { engine });
    const up = agent.up();
    await eventually(() => engine.calls.filter((call) => call.startsWith('exec')).length >= 5, 5000, 'checks while it starts');
    expect(await provided()).toBe(false);
    passing = true;
    await up;
    expect(await provided()).toBe(true);
  });

  it('fail `scs up` with the check’s last word when the instance never passes', async () => {
    const engine = new FakeEngine();
    engine.onExec = () => ({ exitCode: 3, output: 'no' });
    const { agent } = rig([web(health({ kind: 'exec', command: ['true'] }))], { engine, waitTimeoutMs: 500 });
    await expect(agent.up()).rejects.toThrow(/^web: not healthy after 1 s \(unhealthy: \d+ failures: exit 3: no\); it printed nothing$/);
  });

  it('GET the path at the provided address: 200 to 399 pass, anything else fails', async () => {
    let status = 204;
    const paths: string[] = [];
    const server = createHttpServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end();
    });
    const port = await listen(server);
    const { agent, provided, record } = rig([web(health({ kind: 'http', path: '/healthz', endpoint: 'http' }), port)]);
    await agent.up();
    expect(await provided()).toBe(true);
    expect(paths[0]).toBe('/healthz');
    status = 503;
    await eventuallyAsync(async () => !(await provided()), 5000, 'the drop');
    await eventually(() => record()?.health === 'unhealthy: 2 failures: status 503', 5000, 'why');
    status = 302;
    await eventuallyAsync(provided, 5000, 'provided again');
  });

  it('connect to the provided address for a tcp check', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    const port = await listen(server);
    const { agent, provided, record } = rig([web(health({ kind: 'tcp', endpoint: 'http' }), port)]);
    await agent.up();
    expect(await provided()).toBe(true);
    server.close();
    await eventuallyAsync(async () => !(await provided()), 5000, 'the drop');
    await eventually(() => record()?.health === 'unhealthy: 2 failures: connect ECONNREFUSED', 5000, 'why');
  });

  it('hold out an instance that flaps, and say so in one line', async () => {
    const engine = new FakeEngine();
    let passing = true;
    engine.onExec = () => ({ exitCode: passing ? 0 : 1, output: '' });
    const { logger, lines } = recordingLogger();
    const check = health({ kind: 'exec', command: ['true'] }, { retries: 1, flap: { changes: 2, withinMs: 60_000, holdMs: 1500 } });
    const { agent, provided, record } = rig([web(check)], { engine, logger });
    await agent.up();
    const flip = async (to: boolean) => {
      passing = to;
      await eventually(() => record()?.health?.startsWith(to ? 'healthy' : 'unhealthy'), 5000, `${to ? '' : 'un'}healthy`);
    };
    await flip(false);
    await flip(true);
    // The third change within the minute is one more than 2: held out.
    passing = false;
    await eventually(() => lines('warn').includes('web: health flapped 3 times in 60 s: held out for 1.5 s'), 5000, 'the line');
    passing = true;
    await eventually(() => record()?.health?.startsWith('held out'), 5000, 'the state file saying so');
    expect(await provided()).toBe(false);
    expect(agent.member().services[0]).toMatchObject({ health: 'held out' });
    // Its check passes meanwhile, but only once the hold runs out is it provided again.
    await eventuallyAsync(provided, 5000, 'provided after the hold');
    expect(record()?.health).toBe('healthy');
  });

  it('are not run for `healthcheck: {test: [NONE]}`, and Docker’s word on the image’s check does not count', async () => {
    const engine = new FakeEngine();
    engine.healthOnStart = 'unhealthy';
    const { agent, provided } = rig(
      [{ ...web(health({ kind: 'none' })), container: { ...web(health({ kind: 'none' })).container, healthcheck: ['false'] } }],
      {
        engine,
      },
    );
    await agent.up();
    expect(await provided()).toBe(true);
    expect(engine.calls.filter((call) => call.startsWith('exec'))).toEqual([]);
  });
});
