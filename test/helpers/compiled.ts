// Small hand-made compiled stacks for the agent's fast tests: what `scs compile` would produce, minus the files.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledProvide, CompiledRequire, CompiledService, CompiledStack } from '../../src/manifest/compiled.ts';

export interface ServiceSketch {
  provides?: Array<{ endpoint: string; port: number }>;
  requires?: Array<{ endpoint: string; service: string; liveupdate?: string[] }>;
  healthcheck?: string[];
  restart?: CompiledService['container']['restart'];
  env?: Record<string, string>;
  image?: string;
  volumes?: Array<{ name: string; target: string; shareable?: boolean }>;
  publish?: number;
  drainMs?: number;
  replicas?: number;
  spread?: CompiledService['spread'];
}

export const STACK = 'shop';
export const ENVIRONMENT = 'test';

export function service(serviceName: string, sketch: ServiceSketch = {}): CompiledService {
  const provides: CompiledProvide[] = (sketch.provides ?? []).map(({ endpoint, port }) => ({
    endpoint,
    name: `${endpoint}.${serviceName}.${STACK}.${ENVIRONMENT}`,
    port,
    protocol: 'tcp',
    publish: sketch.publish,
    attributes: {},
  }));
  const requires: CompiledRequire[] = (sketch.requires ?? []).map(({ endpoint, service: provider, liveupdate }) => ({
    endpoint,
    name: `${endpoint}.${provider}.${STACK}.${ENVIRONMENT}`,
    filter: {},
    liveupdate,
  }));
  return {
    name: serviceName,
    image: {
      tag: sketch.image ?? `scs/${STACK}-${serviceName}:0123456789abcdef`,
      hash: '0123456789abcdef',
      context: '/nowhere',
      dockerfile: undefined,
      dockerfilePath: 'Dockerfile',
    },
    container: {
      name: `scs-${STACK}-${ENVIRONMENT}-${serviceName}`,
      env: { ...sketch.env, SCS_ENVIRONMENT: ENVIRONMENT, SCS_STACK: STACK, SCS_SERVICE: serviceName },
      network: 'bridge',
      restart: sketch.restart ?? 'no',
      volumes: (sketch.volumes ?? []).map(({ name, target, shareable = false }) => ({
        name,
        target,
        method: 'named',
        shareable,
        source: `${STACK}-${ENVIRONMENT}-${serviceName}-${name}`,
      })),
      healthcheck: sketch.healthcheck,
    },
    provides,
    requires,
    replace:
      (sketch.volumes ?? []).some((v) => !v.shareable) || sketch.publish !== undefined
        ? { order: 'stop-first', why: 'exclusive', drainMs: sketch.drainMs ?? 0 }
        : { order: 'start-first', drainMs: sketch.drainMs ?? 0 },
    dependsOn: (sketch.requires ?? []).map((r) => r.service),
    ...(sketch.replicas === undefined ? {} : { replicas: sketch.replicas }),
    ...(sketch.spread === undefined ? {} : { spread: sketch.spread }),
  };
}

/** A compiled stack whose services are given in start order. */
export function compiledStack(services: CompiledService[]): CompiledStack {
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
