import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.ts';
import { compiledStack, service } from '../../helpers/compiled.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';
import { quietLogger } from '../../helpers/logging.ts';
import { MemoryDisco } from '../../helpers/memory-disco.ts';
import { eventually, sleep } from '../../helpers/wait.ts';

/** Waits until the engine has been asked nothing new for `quietMs`. */
async function settled(engine: FakeEngine, quietMs = 150): Promise<void> {
  let seen = -1;
  while (seen !== engine.calls.length) {
    seen = engine.calls.length;
    await sleep(quietMs);
  }
}

describe('the agent, when two requirements of one service move at once', () => {
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.down();
    agent = undefined;
  });

  it('replaces the container once when both live updates fail', async () => {
    const engine = new FakeEngine();
    const disco = new MemoryDisco();
    // Each requirement keeps one endpoint while the other moves: both changes are of the kind that
    // waits for the debounce (see urgency.ts), so they reach the agent together, as one move.
    await disco.place('a.alpha.shop.test', '10.0.0.5', 1000);
    await disco.place('b.beta.shop.test', '10.0.0.6', 2000);
    const dropA = await disco.place('a.alpha.shop.test', '10.0.0.1', 1000);
    const dropB = await disco.place('b.beta.shop.test', '10.0.0.2', 2000);
    // With a volume it may not share, app is replaced stop-first: the trace the issue reported.
    const app = service('app', {
      volumes: [{ name: 'data', target: '/data' }],
      requires: [
        { endpoint: 'a', service: 'alpha', liveupdate: ['update-a'] },
        { endpoint: 'b', service: 'beta', liveupdate: ['update-b'] },
      ],
    });
    agent = new Agent(compiledStack([app]), {
      engine,
      client: disco,
      advertise: '127.0.0.1',
      waitTimeoutMs: 5000,
      debounceMs: 20,
      logger: quietLogger,
      disco: 'memory',
    });
    await agent.up();
    expect(engine.trace()).toBe('create c1, start c1');
    engine.calls.length = 0;

    engine.onExec = () => ({ exitCode: 1, output: 'cannot reconfigure' });
    await Promise.all([dropA(), dropB()]);
    await Promise.all([disco.place('a.alpha.shop.test', '10.0.0.3', 1000), disco.place('b.beta.shop.test', '10.0.0.4', 2000)]);
    await eventually(() => engine.calls.includes('start c2'), 5000, 'the replacement to start');
    await settled(engine);

    expect(engine.trace()).toBe('exec c1, exec c1, stop c1, remove c1, create c2, start c2');
    const env = engine.byService('app')!.spec.env;
    expect(env.SCS_REQUIRE_A).toBe('10.0.0.3:1000;10.0.0.5:1000');
    expect(env.SCS_REQUIRE_B).toBe('10.0.0.4:2000;10.0.0.6:2000');
  });
});
