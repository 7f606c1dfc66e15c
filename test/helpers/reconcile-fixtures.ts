// A service as the planner sees it, for tests to vary: what is wanted (desired), and what runs
// (observed, with its container), each the plain case unless told otherwise.

import type { DesiredService, ObservedContainer, ObservedService } from '../../src/agent/reconcile.ts';

export const desired = (over: Partial<DesiredService> = {}): DesiredService => ({
  running: true,
  configHash: 'h1',
  provides: true,
  requires: [],
  replace: { order: 'stop-first', drainMs: 0 },
  resources: [],
  ...over,
});

export const container = (over: Partial<ObservedContainer> = {}): ObservedContainer => ({
  id: 'c1',
  run: 'c1@1',
  configHash: 'h1',
  running: true,
  health: undefined,
  exitCode: 0,
  ...over,
});

export const observed = (over: Partial<ObservedService> = {}): ObservedService => ({
  container: container(),
  ready: true,
  provisions: 'current',
  requires: [],
  next: undefined,
  ...over,
});
