// The agent's reports of its steps: gathered by service, sent 32 at most a request, bounded while
// they wait, and never retried (a refusal is only logged).

import { describe, expect, it } from 'vitest';
import { MAX_QUEUED_STEPS, StepReporter } from '../../../src/agent/step-report.ts';
import type { ReportedStep } from '../../../src/client/events.ts';
import { recordingLogger } from '../../helpers/logging.ts';

describe('the step reporter', () => {
  it('sends each service its steps, 32 at most a request, with the planner word and the step as the agent logs it', async () => {
    const sent: Array<[string, ReportedStep[]]> = [];
    const reporter = new StepReporter(async (service, steps) => void sent.push([service, steps]), recordingLogger().logger, 60_000);
    for (let i = 0; i < 40; i++) reporter.add('web.shop.dev', 'web', { kind: 'create', cause: 'no container yet' }, true);
    reporter.add('db.shop.dev', 'db', { kind: 'liveupdate', cause: 'http → 10.0.0.5:80', endpoint: 'http' }, false, 'exit 1');
    reporter.flush();
    expect(sent.map(([service, steps]) => [service, steps.length])).toEqual([
      ['web.shop.dev', 32],
      ['web.shop.dev', 8],
      ['db.shop.dev', 1],
    ]);
    expect(sent[0]![1][0]).toEqual({ kind: 'step', reason: 'no-container', detail: 'create (no container yet)', ok: true });
    expect(sent[2]![1][0]).toEqual({
      kind: 'liveupdate',
      reason: 'endpoints-changed',
      detail: 'liveupdate http (http → 10.0.0.5:80): exit 1',
      ok: false,
    });
  });

  it('says which instance a step was run on, from instance 2 on', async () => {
    const sent: ReportedStep[] = [];
    const reporter = new StepReporter(async (_service, steps) => void sent.push(...steps), recordingLogger().logger, 60_000);
    reporter.add('web.shop.dev', 'web', { kind: 'drop', cause: 'scs down' }, true, undefined, 1);
    reporter.add('web.shop.dev', 'web', { kind: 'drop', cause: 'scs down' }, true, undefined, 2);
    reporter.flush();
    expect(sent.map((step) => step.detail)).toEqual(['drop (scs down)', 'instance 2: drop (scs down)']);
  });

  it(`keeps at most ${MAX_QUEUED_STEPS} steps waiting, and only logs a refusal`, async () => {
    const { logger, logged } = recordingLogger();
    const sent: ReportedStep[] = [];
    const reporter = new StepReporter(
      async (_service, steps) => {
        sent.push(...steps);
        throw new Error('this session reports more than 16 steps a second');
      },
      logger,
      60_000,
    );
    for (let i = 0; i < MAX_QUEUED_STEPS + 10; i++) reporter.add('web.shop.dev', 'web', { kind: 'start', cause: 'scs restart' }, true);
    reporter.flush();
    expect(sent).toHaveLength(MAX_QUEUED_STEPS);
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged(/^steps of web\.shop\.dev not told to disco: this session reports more/)).toBe(true);
  });
});
