// Who owns a container: the agent of one part of one stack, named by its project (by default the
// host's name). Every container carries its owner's labels, and an agent lists, reuses, replaces
// and removes only containers with its own: several agents can share a daemon and a disco.

import { hostname } from 'node:os';
import { LABEL, serviceLabelOf } from '../docker/labels.ts';
import { isLabel } from '../names.ts';
import type { ContainerEngine, ContainerSummary } from './container-engine.ts';

export interface AgentIdentity {
  readonly stack: string;
  readonly environment: string;
  /** This agent's part of the stack: `--project-name`, or the host's name. */
  readonly project: string;
  /** The host it runs on, shown by `scs ps`. */
  readonly host: string;
  /** This deployment's random id (src/agent/stack-id.ts): two copies of the same files have different ones. */
  readonly stackId?: string;
}

/** The host's name as a DNS label: `My_Laptop.local` → `my-laptop`. */
export function hostLabel(name = hostname()): string {
  const label = name
    .split('.')[0]!
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || 'localhost';
}

/** `--project-name`, else SCS_PROJECT_NAME, else the host's name. */
export function projectName(given?: string): string {
  const name = (given ?? process.env.SCS_PROJECT_NAME ?? hostLabel()).toLowerCase();
  if (!isLabel(name))
    throw new Error(`"${given ?? process.env.SCS_PROJECT_NAME}" is not a project name like "host-1" (letters, digits, inner hyphens)`);
  return name;
}

/** The labels that select this agent's containers. */
export function ownerLabels(identity: AgentIdentity): Record<string, string> {
  return { [LABEL.stack]: identity.stack, [LABEL.environment]: identity.environment, [LABEL.agent]: identity.project };
}

/**
 * The labels put on the volumes (and the tags on the EBS volumes and ENIs) it creates: its owner's,
 * its host, and its deployment's id. Only what carries all of them is deleted by `down --volumes`.
 */
export function resourceLabels(identity: AgentIdentity): Record<string, string> {
  return {
    ...ownerLabels(identity),
    [LABEL.host]: identity.host,
    ...(identity.stackId ? { [LABEL.stackId]: identity.stackId } : {}),
  };
}

/** Whether something scs found by name carries these labels: it made it, for this deployment. */
export const carries = (found: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>) =>
  Object.entries(labels).every(([key, value]) => found[key] === value);

/** The labels put on a container it creates: its owner's, its host, and its service. */
export function containerLabels(identity: AgentIdentity, service: string): Record<string, string> {
  return { ...ownerLabels(identity), [LABEL.host]: identity.host, [LABEL.service]: service };
}

/** The containers with these labels that run a service, whether they carry its label or the old one. */
export async function serviceContainers(
  engine: Pick<ContainerEngine, 'list'>,
  labels: Record<string, string>,
  service: string,
): Promise<ContainerSummary[]> {
  return (await engine.list(labels)).filter((container) => serviceLabelOf(container.labels) === service);
}
