// Small hand-made plans for the agent's fast tests: what `scs compile` would produce, minus the files.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan, PlanProvide, PlanRequire, ServicePlan } from '../../src/manifest/compile.ts';

export interface ServiceSketch {
  provides?: Array<{ endpoint: string; port: number }>;
  requires?: Array<{ endpoint: string; role: string; liveupdate?: string[] }>;
  healthcheck?: string[];
  restart?: ServicePlan['container']['restart'];
  env?: Record<string, string>;
  image?: string;
  volumes?: Array<{ name: string; target: string; shareable?: boolean }>;
  publish?: number;
  drainMs?: number;
}

export const STACK = 'shop';
export const ENVIRONMENT = 'test';

export function service(role: string, sketch: ServiceSketch = {}): ServicePlan {
  const provides: PlanProvide[] = (sketch.provides ?? []).map(({ endpoint, port }) => ({
    endpoint,
    name: `${endpoint}.${role}.${STACK}.${ENVIRONMENT}`,
    port,
    protocol: 'tcp',
    publish: sketch.publish,
    attributes: {},
  }));
  const requires: PlanRequire[] = (sketch.requires ?? []).map(({ endpoint, role: provider, liveupdate }) => ({
    endpoint,
    name: `${endpoint}.${provider}.${STACK}.${ENVIRONMENT}`,
    filter: {},
    liveupdate,
  }));
  return {
    role,
    image: {
      tag: sketch.image ?? `scs/${STACK}-${role}:0123456789abcdef`,
      hash: '0123456789abcdef',
      context: '/nowhere',
      dockerfile: undefined,
      dockerfilePath: 'Dockerfile',
    },
    container: {
      name: `scs-${STACK}-${ENVIRONMENT}-${role}`,
      env: { ...sketch.env, SCS_ENVIRONMENT: ENVIRONMENT, SCS_SERVICE: STACK, SCS_ROLE: role },
      network: 'bridge',
      restart: sketch.restart ?? 'no',
      volumes: (sketch.volumes ?? []).map(({ name, target, shareable = false }) => ({
        name,
        target,
        method: 'named',
        shareable,
        source: `${STACK}-${ENVIRONMENT}-${role}-${name}`,
      })),
      healthcheck: sketch.healthcheck,
    },
    provides,
    requires,
    replace:
      (sketch.volumes ?? []).some((v) => !v.shareable) || sketch.publish !== undefined
        ? { order: 'stop-first', why: 'exclusive', drainMs: sketch.drainMs ?? 0 }
        : { order: 'start-first', drainMs: sketch.drainMs ?? 0 },
    dependsOn: (sketch.requires ?? []).map((r) => r.role),
  };
}

/** A plan whose services are given in start order. */
export function stackPlan(services: ServicePlan[]): Plan {
  return {
    stack: STACK,
    environment: ENVIRONMENT,
    directory: mkdtempSync(join(tmpdir(), 'scs-agent-test-')),
    files: [],
    disco: undefined,
    advertise: undefined,
    services,
  };
}
