// Every cause the planner gives maps to one word of the closed set of reasons: walked through the
// planner's cases, so that a new sentence in reconcile.ts without its word fails here.

import { describe, expect, it } from 'vitest';
import type { Step } from '../../../src/agent/plan.ts';
import { converge, restart, teardown } from '../../../src/agent/reconcile.ts';
import { stepReason } from '../../../src/agent/step-reason.ts';
import { container, desired, observed } from '../../helpers/reconcile-fixtures.ts';

const requiring = (liveupdate: boolean) =>
  desired({ requires: [{ endpoint: 'db', current: ['10.0.0.9:5432'], liveupdate, holdingEmpty: false }] });
const applied = (failed?: { endpoints: string[]; reason: string }) =>
  observed({ requires: [{ endpoint: 'db', applied: ['10.0.0.8:5432'], failed }] });

describe('the reason of a plan step', () => {
  it('names each cause the planner gives with one word of the closed set', () => {
    const plans: Step[][] = [
      converge(desired(), observed({ container: undefined, ready: false, provisions: 'none' }), 'start'),
      converge(desired(), observed({ container: undefined }), 'supervise'),
      converge(desired({ configHash: 'h2' }), observed(), 'supervise'),
      converge(desired(), observed({ container: container({ running: false, exitCode: 3 }) }), 'supervise'),
      converge(desired(), observed({ container: container({ running: false, exitCode: 3 }) }), 'start'),
      converge(desired(), observed({ provisions: 'stale', restarted: true }), 'supervise'),
      converge(desired(), observed({ container: container({ health: 'unhealthy' }) }), 'supervise'),
      converge(
        desired(),
        observed({ check: { verdict: 'unhealthy', why: 'unhealthy: 3 failures: exit 1', recovered: false } }),
        'supervise',
      ),
      converge(desired(), observed({ check: { verdict: 'held', why: 'held out 30 s (flapping)', recovered: true } }), 'supervise'),
      converge(desired(), observed({ check: { verdict: 'healthy', why: 'healthy', recovered: true }, provisions: 'none' }), 'supervise'),
      converge(desired(), observed({ ready: false, provisions: 'none' }), 'start'),
      converge(desired(), observed({ ready: true, provisions: 'none', restarted: true }), 'supervise'),
      converge(desired(), observed({ ready: true, provisions: 'none' }), 'supervise'),
      converge(requiring(true), applied(), 'supervise'),
      converge(requiring(false), applied(), 'supervise'),
      converge(requiring(true), applied({ endpoints: ['10.0.0.9:5432'], reason: 'exit 1' }), 'supervise'),
      converge(desired(), observed({ next: { provided: true, running: true } }), 'supervise'),
      converge(desired({ running: false }), observed(), 'supervise'),
      converge(desired({ drained: true }), observed(), 'supervise'),
      restart(desired(), observed()),
      teardown(observed()),
      teardown(observed(), { cause: 'removed from the stack' }),
      // What src/agent/moves.ts gives a service that leaves for the host it was placed on.
      teardown(observed(), { cause: 'moved to host h1' }),
    ];
    const named = [...new Map(plans.flat().map((step) => [step.cause, stepReason(step)])).entries()];
    expect(named).toEqual([
      ['no container yet', 'no-container'],
      ['its new container', 'no-container'],
      ['its container is gone', 'container-gone'],
      ['replace: its configuration changed', 'config-changed'],
      ['its container exited with status 3', 'container-exited'],
      ['its container had stopped (status 3)', 'container-exited'],
      ['started again', 'container-exited'],
      ['its container restarted', 'container-restarted'],
      ['its container is unhealthy', 'unhealthy'],
      ['its health check fails (3 failures: exit 1)', 'check-failed'],
      ['held out: held out 30 s (flapping)', 'flapping'],
      ['its health check passes again', 'check-passed'],
      ['running, and up to date', 'container-running'],
      ['running again', 'container-running'],
      ['its container is running', 'container-running'],
      ['db → 10.0.0.9:5432', 'endpoints-changed'],
      ['replace: db changed and the image has no live update', 'liveupdate-failed'],
      ['replace: liveupdate of db failed (exit 1)', 'liveupdate-failed'],
      ['an earlier replacement did not finish', 'unfinished-replacement'],
      ['scs stop', 'scs-stop'],
      ['scs drain', 'scs-drain'],
      ['scs restart', 'scs-restart'],
      ['scs down', 'scs-down'],
      ['removed from the stack', 'removed-from-stack'],
      ['moved to host h1', 'moved'],
    ]);
  });

  it('is "other" for a cause it does not know, which the event then shows in full', () => {
    expect(stepReason({ kind: 'stop', cause: 'a cosmic ray' })).toBe('other');
  });
});
