// The agent tells its meter (src/agent/meter.ts) what it does, against an in-memory engine: each plan
// step by kind and result, and each live update by result, failed when its command does not exit 0.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.ts';
import { AgentMetrics } from '../../../src/metrics/agent-metrics.ts';
import { compiledStack, service } from '../../helpers/compiled.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';
import { quietLogger } from '../../helpers/logging.ts';
import { MemoryDisco } from '../../helpers/memory-disco.ts';
import { eventually } from '../../helpers/wait.ts';

const web = service('web', { provides: [{ endpoint: 'http', port: 8080 }] });
const client = service('client', { requires: [{ endpoint: 'http', service: 'web', liveupdate: ['/update.sh'] }] });

const agents: Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.down();
});

/** One sample of the exposition, by its series as written; 0 when absent. */
const sample = (text: string, series: string) =>
  Number(
    text
      .split('\n')
      .find((line) => line.startsWith(`${series} `))
      ?.split(' ')[1] ?? 0,
  );

describe("the agent's meter", () => {
  it('counts plan steps by kind and result, and live updates by result, failed when the command does not exit 0', async () => {
    const engine = new FakeEngine();
    const metrics = new AgentMetrics();
    const compiled = compiledStack([web, client]);
    const agent = new Agent(compiled, {
      engine,
      client: new MemoryDisco(engine.calls),
      advertise: '192.0.2.1',
      waitTimeoutMs: 2000,
      debounceMs: 20,
      holdMs: 50,
      logger: quietLogger,
      disco: 'memory',
      project: 'one',
      stateFolder: join(compiled.directory, 'state', 'meter'),
      meter: metrics,
    });
    agents.push(agent);
    metrics.attach(
      () => agent.state(),
      () => true,
    );
    await agent.up();
    let text = await metrics.registry.metrics();
    expect(sample(text, 'scs_agent_plan_steps_total{kind="create",result="ok"}')).toBe(2);
    expect(sample(text, 'scs_agent_plan_steps_total{kind="start",result="ok"}')).toBe(2);
    expect(sample(text, 'scs_agent_plan_steps_total{kind="provide",result="ok"}')).toBe(1);
    expect(sample(text, 'scs_agent_containers{state="running"}')).toBe(2);

    // web dies: client's live update runs, and works.
    engine.onExec = () => ({ exitCode: 0, output: '' });
    engine.kill('c1');
    await eventually(() => engine.calls.includes('exec c2'), 2000, 'the live update');
    text = await metrics.registry.metrics();
    expect(sample(text, 'scs_agent_live_update_duration_seconds_count{result="ok"}')).toBe(1);
    expect(sample(text, 'scs_agent_plan_steps_total{kind="liveupdate",result="ok"}')).toBe(1);

    // web comes back, and this time the live update fails: client is replaced.
    engine.onExec = () => ({ exitCode: 3, output: 'no' });
    engine.restart('c1', { newPorts: true });
    await eventually(() => engine.calls.includes('start c3'), 2000, 'the replacement');
    text = await metrics.registry.metrics();
    expect(sample(text, 'scs_agent_live_update_duration_seconds_count{result="failed"}')).toBe(1);
    expect(sample(text, 'scs_agent_plan_steps_total{kind="liveupdate",result="failed"}')).toBe(1);
  });
});
