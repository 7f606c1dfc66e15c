// An agent's metrics (src/metrics/agent-metrics.ts): containers by state from the agent's own state,
// steps, live updates and builds as its meter is told, every label from a closed set; promtool
// finds the exposition clean.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { AgentState, ServiceRecord } from '../../src/agent/state.ts';
import { AgentMetrics, containerState } from '../../src/metrics/agent-metrics.ts';

const promtool = spawnSync('promtool', ['--version']).status === 0;

const service = (status: string, statusKind?: ServiceRecord['statusKind']): ServiceRecord => ({
  service: 'web',
  container: undefined,
  containerName: 'scs-hello-dev-web',
  image: 'scs-hello-web:abc',
  status,
  ...(statusKind ? { statusKind } : {}),
  provides: [],
  requires: [],
});

const state = (services: ServiceRecord[]): AgentState =>
  ({
    pid: 1,
    project: 'p',
    host: 'h',
    files: [],
    only: [],
    phase: 'running',
    stack: 'hello',
    environment: 'dev',
    disco: 'x',
    services,
  }) as AgentState;

describe("an agent's metrics", () => {
  it("name a container's state from the closed set, Docker's word or the agent's", () => {
    expect(containerState(service('running', 'container'))).toBe('running');
    expect(containerState(service('running (healthy)', 'container'))).toBe('running');
    expect(containerState(service('Exited (1) 3 seconds ago', 'container'))).toBe('exited');
    expect(containerState(service('not created', 'waiting'))).toBe('waiting');
    expect(containerState(service('stopped by scs stop', 'stopped'))).toBe('stopped');
    expect(containerState(service('something new from Docker', 'container'))).toBe('other');
    expect(containerState(service('running'))).toBe('running');
  });

  it('count containers by state when read, and steps, live updates and builds as told', async () => {
    const metrics = new AgentMetrics();
    metrics.attach(
      () => state([service('running', 'container'), service('running', 'container'), service('x', 'lost')]),
      () => true,
    );
    metrics.stepDone('create', true);
    metrics.stepDone('create', true);
    metrics.stepDone('start', false);
    metrics.liveUpdated(true, 0.02);
    metrics.liveUpdated(false, 3);
    metrics.built(true);
    const text = await metrics.registry.metrics();
    expect(text).toContain('scs_agent_containers{state="running"} 2');
    expect(text).toContain('scs_agent_containers{state="lost"} 1');
    expect(text).toContain('scs_agent_containers{state="exited"} 0');
    expect(text).toContain('scs_agent_disco_session_up 1');
    expect(text).toContain('scs_agent_plan_steps_total{kind="create",result="ok"} 2');
    expect(text).toContain('scs_agent_plan_steps_total{kind="start",result="failed"} 1');
    expect(text).toContain('scs_agent_live_update_duration_seconds_count{result="ok"} 1');
    expect(text).toContain('scs_agent_live_update_duration_seconds_bucket{le="5",result="failed"} 1');
    expect(text).toContain('scs_agent_live_update_duration_seconds_bucket{le="2.5",result="failed"} 0');
    expect(text).toContain('scs_agent_builds_total{result="ok"} 1');
    expect(text).toContain('scs_agent_builds_total{result="failed"} 0');
  });

  it.skipIf(!promtool)('pass promtool check metrics (skipped without promtool: apt-get install prometheus)', async () => {
    const metrics = new AgentMetrics();
    metrics.attach(
      () => state([service('running', 'container')]),
      () => false,
    );
    metrics.liveUpdated(true, 0.5);
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: await metrics.registry.metrics(), encoding: 'utf8' });
    expect({ status: checked.status, output: `${checked.stdout}${checked.stderr}` }).toEqual({ status: 0, output: '' });
  });
});
