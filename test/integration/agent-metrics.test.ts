// An agent's HTTP listener (`scs agent --http`): /health, /ready once the stack is up, and /metrics
// with its containers by state and its plan steps, scraped once by a real Prometheus. Beyond loopback
// it needs --http-insecure, since the agent has no tokens.

import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentState } from '../helpers/agent-state.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem } from '../helpers/docker.ts';
import { PROMETHEUS, startPrometheus } from '../helpers/prometheus.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe("scs agent's --http", () => {
  it('refuses an address beyond loopback without --http-insecure, in one sentence, exit 2', async () => {
    const refused = scs(['agent', '--http', '0.0.0.0:9642', '-f', join(root, 'examples/hello/scs-stack.yaml')]);
    expect(await refused.exited).toBe(2);
    expect(refused.stderr.trim().replace(/^\[error\] /, '')).toBe(
      'the HTTP listener will not listen on 0.0.0.0:9642 without tokens, as anyone who reaches it could read what runs where (the agent has no tokens of its own, or say --http-insecure)',
    );
  });
});

describe.skipIf(dockerProblem !== undefined)(`an agent's metrics${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  let dir: string;
  const files = () => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'metrics.yaml')];

  beforeAll(async () => {
    await run(join(root, 'scripts/base-image'));
    dir = mkdtempSync(join(tmpdir(), 'scs-agent-metrics-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    writeFileSync(join(dir, 'metrics.yaml'), 'environment: metrics\n');
  }, 120_000);

  afterAll(async () => {
    if (!dir) return;
    await scs(['down', ...files()]).exited;
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('serves /health, /ready once the stack is up, and /metrics, which Prometheus scrapes', async () => {
    const agent = scs(['agent', '--http', '127.0.0.1:0', ...files()], {}, dir);
    onCleanup(() => agent.child.kill('SIGKILL'));
    const address = await eventually(
      () => /http on (127\.0\.0\.1:\d+)/.exec(agent.stderr + agent.stdout)?.[1],
      60_000,
      `the agent to say where its HTTP listener is:\n${agent.stderr}`,
    );
    expect(await (await fetch(`http://${address}/health`)).text()).toBe('ok\n');
    await eventually(() => agentState('hello')?.pid === agent.child.pid && agentState('hello')?.phase === 'running', 60_000, 'hello up');
    const ready = await fetch(`http://${address}/ready`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);

    // A container asks the host's DNS: the agent counts it, in the container's (local) view.
    await run('docker', ['exec', 'scs-hello-metrics-client', 'nslookup', 'web.hello.metrics.disco']).catch(() => {});
    const text = await (await fetch(`http://${address}/metrics`)).text();
    expect(text).toMatch(/scs_dns_queries_total\{type="A",rcode="NOERROR",view="local"\} [1-9]/);
    expect(text).toContain('scs_agent_containers{state="running"} 2');
    expect(text).toContain('scs_agent_disco_session_up 1');
    expect(text).toMatch(/scs_agent_plan_steps_total\{kind="create",result="ok"\} [1-9]/);
    expect(text).toContain('scs_agent_plan_steps_total{kind="create",result="failed"} 0');

    if (PROMETHEUS) {
      const prometheus = await startPrometheus([{ job: 'agent', target: address }]);
      onCleanup(() => prometheus.close());
      await eventuallyAsync(async () => (await prometheus.value('up{job="agent"}')) === 1, 30_000, 'Prometheus to scrape the agent');
      expect(await prometheus.value('scs_agent_containers{job="agent",state="running"}')).toBe(2);
    } else {
      console.log('prometheus is not installed (scripts/install-deps installs it): the agent was not scraped by it');
    }

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  }, 180_000);
});
