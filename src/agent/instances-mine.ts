// Which instances of a service this agent runs: how many run on every host together (disco's count,
// else the stack files'), and of those the ones on this host: every one, or for a spread service
// those its spread assigns here (spread-here.ts).

import { serviceLabelOf } from '../docker/labels.ts';
import type { CompiledService } from '../manifest/compiled.ts';
import { replicasOf } from '../placement/replicas.ts';
import { instancesOn } from '../placement/spread.ts';
import type { ContainerSummary } from './container-engine.ts';
import { instanceOfLabels } from './instances.ts';
import type { InstancesHere } from './instances-here.ts';
import type { ServiceRunner } from './runner.ts';
import type { SpreadHere } from './spread-here.ts';

export class InstancesMine {
  constructor(
    private readonly host: string,
    private readonly counts: Pick<InstancesHere, 'countOf'> | undefined,
    private readonly spread: Pick<SpreadHere, 'plan'> | undefined,
  ) {}

  /** How many instances of `service` run, on every host together. */
  countOf(service: CompiledService): number {
    return this.counts?.countOf(service) ?? replicasOf(service, undefined);
  }

  /** The instances of `service` this host runs, in order. */
  of(service: CompiledService): number[] {
    const count = this.countOf(service);
    const plan = this.spread?.plan(service, count);
    return plan ? instancesOn(plan, this.host) : Array.from({ length: count }, (_, at) => at + 1);
  }

  /** The groups a spread service's `over:` names that have no live host. */
  missing(service: CompiledService): readonly string[] | undefined {
    return this.spread?.plan(service, this.countOf(service))?.missing;
  }

  /** Where instance `instance` of a spread service runs, as a log line says it: `host h2`. */
  whereIs(service: CompiledService, instance: number): string {
    const host = this.spread?.plan(service, this.countOf(service))?.hosts.get(instance);
    return host ? `host ${host}` : 'another host';
  }
}

/** Whether two lists hold the same instances, in any order. */
export function sameInstances(a: readonly number[], b: readonly number[]): boolean {
  const sorted = (list: readonly number[]) => [...list].sort((x, y) => x - y).join();
  return sorted(a) === sorted(b);
}

/** The instances `scs stop`, `start` or `restart` of `names` touch: every one of each service named, or of every service when none is. */
export function namedRunners(runners: readonly ServiceRunner[], names: readonly string[]): ServiceRunner[] {
  const services = [...new Set(runners.map((runner) => runner.service))];
  return (names.length > 0 ? names : services).flatMap((name) => {
    const instances = runners.filter((runner) => runner.service === name);
    if (instances.length === 0) throw new Error(`this agent does not run "${name}" (it runs: ${services.join(', ') || 'nothing'})`);
    return instances;
  });
}

/**
 * The instances of `service` whose containers `found` lists (this agent's project and stack) that
 * are not among `mine` and have no runner: left by the agent before this one, and now another
 * host's (spread) or beyond the count. The agent takes them on, to hand over or retire, rather than
 * leave them running unwatched.
 */
export function leftOver(
  found: readonly Pick<ContainerSummary, 'labels'>[],
  service: string,
  mine: readonly number[],
  runners: readonly Pick<ServiceRunner, 'service' | 'instance'>[],
): number[] {
  const instances = found.filter((container) => serviceLabelOf(container.labels) === service).map((c) => instanceOfLabels(c.labels));
  return [...new Set(instances)]
    .filter((instance) => !mine.includes(instance) && !runners.some((r) => r.service === service && r.instance === instance))
    .sort((a, b) => a - b);
}
