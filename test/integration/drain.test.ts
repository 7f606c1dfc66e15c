// `scs drain` on a running stack, on the real Docker Engine with an external `scs disco`: the agent
// drops web's endpoint while its container keeps running (the same run, as `docker inspect` shows),
// `scs ps` and `scs status` say drained, the drain holds when the agent is killed and its supervisor
// starts another, and `scs undrain` provides the endpoint again, its container still untouched.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pinnedSubnet } from '../../src/cidr.ts';
import { DiscoClient, type WatchEvent } from '../../src/client/client.ts';
import { agentUp, containerRuns, helloStack, Respawner, startScsDisco } from '../helpers/agent-restart.ts';
import { agentState } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually, eventuallyAsync, sleep } from '../helpers/wait.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
}, 180_000);

const ENVIRONMENT = 'agentdrain';
const webStatus = () => agentState('hello')?.services.find((s) => s.service === 'web')?.status;
const SUBNET = '10.232.6.0/24';

async function ok(args: string[]): Promise<string> {
  const running = scs(args, { NO_COLOR: '1' });
  const code = await running.exited;
  expect(code, `scs ${args.join(' ')}: ${running.stdout}${running.stderr}`).toBe(0);
  return running.stdout + running.stderr;
}

describe.skipIf(dockerProblem !== undefined)(`a drained service${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  it('keeps running without its endpoint, through an agent restart, until undrained', async () => {
    const disco = await startScsDisco('10s');
    cleanups.push(() => disco.stop());
    const { dir, files } = helloStack(ENVIRONMENT, SUBNET);
    cleanups.push(async () => {
      await scs(['down', '--volumes', ...files]).exited;
      rmSync(dir, { recursive: true, force: true });
    });
    const respawner = new Respawner(['agent', ...files, '--disco', disco.address], join(dir, 'agents.log'), undefined, {
      dns: `${pinnedSubnet(SUBNET).gateway}:53`,
    });
    cleanups.push(() => respawner.stop());
    respawner.start();
    await agentUp(respawner, 150_000);
    const [host, port] = disco.address.split(':');
    const watcher = await DiscoClient.connect({ host: host!, port: Number(port), logger: quietLogger });
    cleanups.push(() => watcher.close());
    const events: WatchEvent[] = [];
    const name = `http.web.hello.${ENVIRONMENT}`;
    const watch = await watcher.require({ name }, (event) => events.push(event));
    expect(watch.endpoints).toHaveLength(1);
    const runs = await containerRuns('hello', ENVIRONMENT);
    const webId = runs.web!.split('@')[0]!;

    // Drained: the endpoint goes, the container runs on as the same run.
    const drained = await ok(['drain', 'web', ...files, '--disco', disco.address]);
    expect(drained).toContain(`web.hello.${ENVIRONMENT}: replicas -; drained: all`);
    await eventually(() => watch.endpoints.length === 0, 10_000, 'web to be dropped');
    expect((await engine.inspect(webId))?.running).toBe(true);
    expect(await containerRuns('hello', ENVIRONMENT)).toEqual(runs);
    await eventually(() => webStatus() === 'running (healthy, drained)', 10_000, 'the state file to say drained');
    const ps = await ok(['ps', ...files]);
    expect(ps).toMatch(/web\s+\S+\s+running \(healthy, drained\)/);
    await eventuallyAsync(
      async () => (await ok(['status', '--disco', disco.address, `*.*.hello.${ENVIRONMENT}`])).includes('(healthy, drained)'),
      10_000,
      'scs status to say drained',
    );

    // The agent killed: its successor reads the drain before it plans, and provides nothing.
    const killed = respawner.pid;
    respawner.kill();
    await eventually(() => respawner.pid !== killed, 10_000, 'the respawn loop to start another agent');
    await agentUp(respawner);
    await sleep(1000);
    expect(watch.endpoints).toEqual([]);
    expect(webStatus()).toBe('running (healthy, drained)');
    expect(await containerRuns('hello', ENVIRONMENT)).toEqual(runs);

    // Undrained: provided again, from the same container.
    await ok(['undrain', 'web', ...files, '--disco', disco.address]);
    await eventually(() => watch.endpoints.length === 1, 10_000, 'web to be provided again');
    expect(events.map((e) => [e.add.length, e.drop.length])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(await containerRuns('hello', ENVIRONMENT)).toEqual(runs);
    await eventually(() => webStatus() === 'running (healthy)', 10_000, 'the state file to say it is no longer drained');
  }, 300_000);
});
