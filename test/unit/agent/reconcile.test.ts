import { describe, expect, it } from 'vitest';
import { formatPlan } from '../../../src/agent/plan.ts';
import { converge, type DesiredService, type Mode, type ObservedService, restart, teardown } from '../../../src/agent/reconcile.ts';
import { container, desired, observed } from '../../helpers/reconcile-fixtures.ts';

const plan = (d: DesiredService, o: ObservedService, mode: Mode = 'supervise') => formatPlan('web', converge(d, o, mode));

const requiring = (current: Record<string, string[]>, liveupdate = true) =>
  desired({
    requires: Object.entries(current).map(([endpoint, endpoints]) => ({ endpoint, current: endpoints, liveupdate, holdingEmpty: false })),
  });
const configured = (applied: Record<string, string[]>, failed: Record<string, { endpoints: string[]; reason: string }> = {}) =>
  Object.entries(applied).map(([endpoint, endpoints]) => ({ endpoint, applied: endpoints, failed: failed[endpoint] }));

describe('converge, drained (scs drain)', () => {
  const drained = desired({ drained: true });

  it('drops the endpoints of a running container and leaves the container alone', () => {
    expect(plan(drained, observed())).toBe('web: drop (scs drain)');
    // Dropped: nothing more to do while it stays drained; undrained, it is provided again.
    expect(plan(drained, observed({ provisions: 'none' }))).toBe('');
    expect(plan(desired(), observed({ provisions: 'none' }))).toBe('web: provide (its container is running)');
  });

  it('starts or replaces its container as ever, but provides nothing', () => {
    expect(plan(drained, observed({ container: undefined, ready: false, provisions: 'none' }), 'start')).toBe(
      ['web: create (no container yet)', 'web: start (no container yet)', 'web: ready (its new container)'].join('\n'),
    );
    const startFirst = desired({ drained: true, configHash: 'h2', replace: { order: 'start-first', drainMs: 0 } });
    expect(plan(startFirst, observed({ provisions: 'none' }))).toBe(
      [
        'web: create next (replace: its configuration changed)',
        'web: start next (replace: its configuration changed)',
        'web: ready next (replace: its configuration changed)',
        'web: stop (replace: its configuration changed)',
        'web: remove (replace: its configuration changed)',
        'web: promote (replace: its configuration changed)',
      ].join('\n'),
    );
    // A restarted container's stale endpoints go once, and nothing is provided in their place.
    expect(plan(drained, observed({ provisions: 'stale', restarted: true }))).toBe('web: drop (its container restarted)');
  });

  it('drops its endpoints first, then still applies a moved requirement by its live update', () => {
    const moved = desired({
      drained: true,
      requires: [{ endpoint: 'db', current: ['10.0.0.9:5432'], liveupdate: true, holdingEmpty: false }],
    });
    expect(plan(moved, observed({ requires: [{ endpoint: 'db', applied: ['10.0.0.8:5432'], failed: undefined }] }))).toBe(
      ['web: drop (scs drain)', 'web: liveupdate db (db → 10.0.0.9:5432)'].join('\n'),
    );
  });
});

describe('converge', () => {
  it('creates, starts, waits for and provides a service that has no container yet', () => {
    expect(plan(desired(), observed({ container: undefined, ready: false, provisions: 'none' }), 'start')).toBe(
      [
        'web: create (no container yet)',
        'web: start (no container yet)',
        // The container exists by then: what follows its start says so.
        'web: ready (its new container)',
        'web: provide (its new container)',
      ].join('\n'),
    );
  });

  it('provides nothing for a service with nothing to provide', () => {
    expect(plan(desired({ provides: false }), observed({ container: undefined, ready: false, provisions: 'none' }), 'start')).toBe(
      ['web: create (no container yet)', 'web: start (no container yet)', 'web: ready (its new container)'].join('\n'),
    );
  });

  it('takes over a running container that is up to date, once it is ready', () => {
    expect(plan(desired(), observed({ ready: false, provisions: 'none' }), 'start')).toBe(
      ['web: ready (running, and up to date)', 'web: provide (running, and up to date)'].join('\n'),
    );
  });

  it('replaces a container whose configuration changed, dropping its endpoints first', () => {
    expect(plan(desired({ configHash: 'h2' }), observed())).toBe(
      [
        'web: drop (replace: its configuration changed)',
        'web: stop (replace: its configuration changed)',
        'web: remove (replace: its configuration changed)',
        'web: create (replace: its configuration changed)',
        'web: start (replace: its configuration changed)',
        'web: ready (replace: its configuration changed)',
        'web: provide (replace: its configuration changed)',
      ].join('\n'),
    );
  });

  it('replaces start-first when it may: the new container is provided before the old one is dropped, drained and stopped', () => {
    const startFirst = desired({ configHash: 'h2', replace: { order: 'start-first', drainMs: 2000 } });
    expect(plan(startFirst, observed())).toBe(
      [
        'web: create next (replace: its configuration changed)',
        'web: start next (replace: its configuration changed)',
        'web: ready next (replace: its configuration changed)',
        'web: provide next (replace: its configuration changed)',
        'web: drop (replace: its configuration changed)',
        'web: drain 2000 ms (replace: its configuration changed)',
        'web: stop (replace: its configuration changed)',
        'web: remove (replace: its configuration changed)',
        'web: promote (replace: its configuration changed)',
      ].join('\n'),
    );
    // Nothing to keep serving: stop-first, as for a container that is not running.
    expect(plan(startFirst, observed({ container: container({ running: false }), provisions: 'none' }), 'start')).toMatch(
      /^web: stop \(replace/,
    );
  });

  it('clears away a next container left by a replacement that did not finish, before anything else', () => {
    expect(plan(desired({ configHash: 'h2' }), observed({ next: { provided: true, running: true } }))).toBe(
      [
        'web: drop next (an earlier replacement did not finish)',
        'web: stop next (an earlier replacement did not finish)',
        'web: remove next (an earlier replacement did not finish)',
      ].join('\n'),
    );
  });

  it('starts a stopped container again when starting, but only drops a dead one when supervising', () => {
    const dead = observed({ container: container({ running: false, exitCode: 137 }) });
    expect(plan(desired(), { ...dead, provisions: 'none', ready: false }, 'start')).toBe(
      ['web: start (its container had stopped (status 137))', 'web: ready (started again)', 'web: provide (started again)'].join('\n'),
    );
    expect(plan(desired(), dead, 'supervise')).toBe('web: drop (its container exited with status 137)');
    expect(plan(desired(), { ...dead, provisions: 'none' }, 'supervise')).toBe('');
  });

  it('drops the endpoints of a container that is gone, and does not bring it back while supervising', () => {
    expect(plan(desired(), observed({ container: undefined }))).toBe('web: drop (its container is gone)');
    expect(plan(desired(), observed({ container: undefined, provisions: 'none' }))).toBe('');
  });

  it('drops and provides again a container that restarted (its published ports may have changed)', () => {
    expect(plan(desired(), observed({ container: container({ run: 'c1@2' }), ready: false, provisions: 'stale' }))).toBe(
      ['web: drop (its container restarted)', 'web: ready (its container restarted)', 'web: provide (its container restarted)'].join('\n'),
    );
  });

  it('runs the live update of each requirement that moved, and nothing for one that did not', () => {
    const d = requiring({ a: ['10.0.0.3:1'], b: ['10.0.0.4:2'], c: ['10.0.0.5:3'] });
    const o = observed({ requires: configured({ a: ['10.0.0.1:1'], b: ['10.0.0.2:2'], c: ['10.0.0.5:3'] }) });
    expect(plan(d, o)).toBe(['web: liveupdate a (a → 10.0.0.3:1)', 'web: liveupdate b (b → 10.0.0.4:2)'].join('\n'));
    expect(plan(requiring({ a: [] }), observed({ requires: configured({ a: ['10.0.0.1:1'] }) }))).toBe('web: liveupdate a (a → nothing)');
  });

  it('holds back an empty set while it is held, and applies it once the hold is over', () => {
    const o = observed({ requires: configured({ a: ['10.0.0.1:1'] }) });
    const held = desired({ requires: [{ endpoint: 'a', current: [], liveupdate: true, holdingEmpty: true }] });
    expect(plan(held, o)).toBe('');
    expect(plan(requiring({ a: [] }), o)).toBe('web: liveupdate a (a → nothing)');
  });

  it('replaces once, for every reason, when live updates failed for what is current', () => {
    const d = requiring({ a: ['10.0.0.3:1'], b: ['10.0.0.4:2'] });
    const o = observed({
      requires: configured(
        { a: ['10.0.0.1:1'], b: ['10.0.0.2:2'] },
        { a: { endpoints: ['10.0.0.3:1'], reason: 'exit 1' }, b: { endpoints: ['10.0.0.4:2'], reason: 'exit 2' } },
      ),
    });
    const steps = converge(d, o, 'supervise');
    expect(steps.map((s) => s.kind)).toEqual(['drop', 'stop', 'remove', 'create', 'start', 'ready', 'provide']);
    expect(new Set(steps.map((s) => s.cause))).toEqual(
      new Set(['replace: liveupdate of a failed (exit 1); liveupdate of b failed (exit 2)']),
    );
  });

  it('tries the live update again when the endpoints moved on since it failed', () => {
    const d = requiring({ a: ['10.0.0.9:1'] });
    const o = observed({ requires: configured({ a: ['10.0.0.1:1'] }, { a: { endpoints: ['10.0.0.3:1'], reason: 'exit 1' } }) });
    expect(plan(d, o)).toBe('web: liveupdate a (a → 10.0.0.9:1)');
  });

  it('replaces a container whose image has no live update when what it requires changes', () => {
    const steps = converge(
      requiring({ http: ['10.0.0.3:80'] }, false),
      observed({ requires: configured({ http: ['10.0.0.1:80'] }) }),
      'supervise',
    );
    expect(steps[0]).toEqual({ kind: 'drop', cause: 'replace: http changed and the image has no live update' });
    expect(steps.map((s) => s.kind)).toContain('create');
  });

  it('drops an unhealthy container, and provides it again once it is healthy', () => {
    expect(plan(desired(), observed({ container: container({ health: 'unhealthy' }) }))).toBe('web: drop (its container is unhealthy)');
    expect(plan(desired(), observed({ container: container({ health: 'unhealthy' }), provisions: 'none' }))).toBe('');
    expect(plan(desired(), observed({ container: container({ health: 'healthy' }), provisions: 'none' }))).toBe(
      // It never restarted: it is not said to have.
      ['web: provide (its container is running)'].join('\n'),
    );
    expect(plan(desired(), observed({ container: container({ health: 'starting' }), ready: false, provisions: 'none' }))).toBe(
      ['web: ready (its container is running)', 'web: provide (its container is running)'].join('\n'),
    );
  });

  it("provides an instance only while the agent's own check says healthy", () => {
    const check = (verdict: 'starting' | 'healthy' | 'unhealthy' | 'held', why: string = verdict, recovered = false) => ({
      check: { verdict, why, recovered },
    });
    const cases: Array<[string, Partial<ObservedService>, string]> = [
      [
        'unhealthy, provided',
        check('unhealthy', 'unhealthy: 3 failures: status 503'),
        'web: drop (its health check fails (3 failures: status 503))',
      ],
      ['unhealthy, not provided', { ...check('unhealthy'), provisions: 'none' }, ''],
      ['held out, provided', check('held', 'held out 30 s (flapping)'), 'web: drop (held out: held out 30 s (flapping))'],
      [
        'held out, restarted meanwhile',
        { ...check('held', 'held out 3 s (flapping)'), provisions: 'stale' },
        'web: drop (its container restarted)',
      ],
      ['healthy again', { ...check('healthy', 'healthy', true), provisions: 'none' }, 'web: provide (its health check passes again)'],
      ['healthy, never failed', { ...check('healthy'), provisions: 'none' }, 'web: provide (its container is running)'],
      // Not ready yet: the ready step waits for the check to pass.
      [
        'a new run, unhealthy',
        { ...check('unhealthy'), ready: false, provisions: 'none' },
        'web: ready (its container is running)\nweb: provide (its container is running)',
      ],
      ['starting, provided', check('starting'), ''],
    ];
    for (const [what, over, expected] of cases) expect(plan(desired(), observed(over)), what).toBe(expected);
    // A live update may be what it lacks: it still runs while the instance is held out of disco.
    expect(
      plan(
        requiring({ db: ['10.0.0.9:5432'] }),
        observed({ ...check('unhealthy', 'unhealthy: 3 failures: exit 1'), requires: configured({ db: [] }) }),
      ),
    ).toBe(['web: drop (its health check fails (3 failures: exit 1))', 'web: liveupdate db (db → 10.0.0.9:5432)'].join('\n'));
  });

  it('says running again only of a container that did restart', () => {
    expect(plan(desired(), observed({ ready: false, provisions: 'none', restarted: true }))).toBe(
      ['web: ready (running again)', 'web: provide (running again)'].join('\n'),
    );
  });

  it('has nothing to do once what runs matches the plan', () => {
    const d = requiring({ a: ['10.0.0.1:1'] });
    const o = observed({ requires: configured({ a: ['10.0.0.1:1'] }) });
    expect(converge(d, o, 'supervise')).toEqual([]);
    expect(converge(d, o, 'start')).toEqual([]);
  });
});

describe('teardown', () => {
  it('drops what a service provides before its container stops', () => {
    expect(formatPlan('web', teardown(observed()))).toBe(
      ['web: drop (scs down)', 'web: stop (scs down)', 'web: remove (scs down)'].join('\n'),
    );
    expect(formatPlan('web', teardown(observed({ provisions: 'none' })))).toBe(
      ['web: stop (scs down)', 'web: remove (scs down)'].join('\n'),
    );
    expect(teardown(observed({ container: undefined, provisions: 'none' }))).toEqual([]);
  });

  it('drains between the drop and the stop when told to (another provider is there to move to)', () => {
    expect(formatPlan('web', teardown(observed(), { drainMs: 2000 }))).toBe(
      ['web: drop (scs down)', 'web: drain 2000 ms (scs down)', 'web: stop (scs down)', 'web: remove (scs down)'].join('\n'),
    );
    // Nothing to drain without endpoints, or without a running container.
    expect(formatPlan('web', teardown(observed({ provisions: 'none' }), { drainMs: 2000 }))).not.toContain('drain');
  });
});

describe('volumes and networks', () => {
  // A named volume (Docker mounts it) and an EBS volume and an ENI, which are attached to the host first.
  const resources: DesiredService['resources'] = [
    { resource: { volume: 'cache' }, attaches: false },
    { resource: { volume: 'data' }, attaches: true },
    { resource: { network: 'aws-ec2-eni' }, attaches: true },
  ];
  const fresh = observed({ container: undefined, ready: false, provisions: 'none' });

  it('provisions each before the first container, and attaches those that attach to the host', () => {
    expect(plan(desired({ resources, provides: false }), fresh, 'start')).toBe(
      [
        'web: provision volume cache (no container yet)',
        'web: provision volume data (no container yet)',
        'web: attach volume data (no container yet)',
        'web: provision network aws-ec2-eni (no container yet)',
        'web: attach network aws-ec2-eni (no container yet)',
        'web: create (no container yet)',
        'web: start (no container yet)',
        'web: ready (its new container)',
      ].join('\n'),
    );
  });

  it('provisions only what was not seen to exist; what attaches is attached before every container', () => {
    const existing = [{ volume: 'cache' }, { volume: 'data' }, { network: 'aws-ec2-eni' }];
    expect(plan(desired({ resources, provides: false }), { ...fresh, existing }, 'start')).toBe(
      [
        'web: attach volume data (no container yet)',
        'web: attach network aws-ec2-eni (no container yet)',
        'web: create (no container yet)',
        'web: start (no container yet)',
        'web: ready (its new container)',
      ].join('\n'),
    );
    // A volume of the same name is not a network.
    expect(plan(desired({ resources: resources.slice(0, 1) }), { ...fresh, existing: [{ network: 'cache' }] }, 'start')).toContain(
      'web: provision volume cache',
    );
  });

  it('makes them ready again for a replacement, after the old container is gone (stop-first) or before the new one (start-first)', () => {
    const existing = [{ volume: 'cache' }];
    const why = 'replace: its configuration changed';
    const stopFirst = plan(desired({ configHash: 'h2', resources: resources.slice(0, 2) }), observed({ existing }));
    expect(stopFirst).toContain(
      [`web: remove (${why})`, `web: provision volume data (${why})`, `web: attach volume data (${why})`, `web: create (${why})`].join(
        '\n',
      ),
    );
    const startFirst = plan(
      desired({ configHash: 'h2', resources: resources.slice(0, 2), replace: { order: 'start-first', drainMs: 0 } }),
      observed({ existing }),
    );
    expect(startFirst.split('\n').slice(0, 3)).toEqual([
      `web: provision volume data (${why})`,
      `web: attach volume data (${why})`,
      `web: create next (${why})`,
    ]);
  });

  it('plans nothing for them when the container is current', () => {
    expect(converge(desired({ resources }), observed(), 'start')).toEqual([]);
  });

  it('lets go of each on scs down, after the container is removed, or deletes each with --volumes', () => {
    expect(formatPlan('web', teardown(observed(), { release: 'detach', resources }))).toBe(
      [
        'web: drop (scs down)',
        'web: stop (scs down)',
        'web: remove (scs down)',
        'web: detach volume cache (scs down)',
        'web: detach volume data (scs down)',
        'web: detach network aws-ec2-eni (scs down)',
      ].join('\n'),
    );
    // Without a container still: what is let go of already changes nothing, and one left by a killed agent is let go of.
    expect(formatPlan('web', teardown(fresh, { release: 'deprovision', resources: resources.slice(0, 1) }))).toBe(
      'web: deprovision volume cache (scs down)',
    );
    // A service gone from the stack keeps its volumes, as Compose's up --remove-orphans does.
    expect(formatPlan('web', teardown(observed(), { cause: 'removed from the stack', resources }))).not.toContain('volume');
  });
});

describe('the plan as data', () => {
  it('marks the create of a replacement, whatever its cause says, and no other create', () => {
    const replacing = [
      ...converge(desired({ configHash: 'h2' }), observed(), 'supervise'),
      ...converge(desired({ configHash: 'h2', replace: { order: 'start-first', drainMs: 0 } }), observed(), 'supervise'),
    ].filter((s) => s.kind === 'create');
    expect(replacing.map((s) => s.replacing)).toEqual([true, true]);
    const first = converge(desired(), observed({ container: undefined, provisions: 'none' }), 'start').find((s) => s.kind === 'create');
    expect(first?.replacing).toBeUndefined();
  });
});

describe('stop and restart', () => {
  it('drops and stops a service that is not wanted running, keeping its container', () => {
    expect(plan(desired({ running: false }), observed())).toBe(['web: drop (scs stop)', 'web: stop (scs stop)'].join('\n'));
    expect(plan(desired({ running: false }), observed({ container: container({ running: false }), provisions: 'none' }))).toBe('');
  });

  it('restarts the same container, its endpoints dropped meanwhile', () => {
    expect(formatPlan('web', restart(desired(), observed()))).toBe(
      [
        'web: drop (scs restart)',
        'web: stop (scs restart)',
        'web: start (scs restart)',
        'web: ready (scs restart)',
        'web: provide (scs restart)',
      ].join('\n'),
    );
    expect(restart(desired(), observed({ container: undefined }))).toEqual([]);
  });
});
