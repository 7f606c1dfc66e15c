/** The labels scs puts on what it creates, so it finds its own and nothing else. */
export const LABEL = {
  stack: 'scs.stack',
  environment: 'scs.environment',
  service: 'scs.service',
  /** Which instance of its service a container runs, from 2 on (src/agent/instances.ts); none on instance 1. */
  instance: 'scs.instance',
  /** The agent that owns it: its project name (see src/agent/identity.ts). */
  agent: 'scs.agent',
  host: 'scs.host',
  /** The random id of one deployment of a stack, kept in its agent's state folder (src/agent/stack-id.ts). */
  stackId: 'scs.stack-id',
  config: 'scs.config-hash',
  image: 'scs.image-hash',
  /**
   * A one-off container of `scs run`, naming the service it runs the image of. It carries no
   * `scs.service`: neither the agent nor `scs ps` takes it for the service; `scs down` removes it.
   */
  oneOff: 'scs.oneoff',
} as const;

/** What named a container's service before it was `scs.service`: containers made then still carry it. */
export const OLD_SERVICE_LABEL = 'scs.role';

/** The service a container runs, by either label, so that an agent adopts the containers made before the rename. */
export function serviceLabelOf(labels: Readonly<Record<string, string>>): string | undefined {
  return labels[LABEL.service] ?? labels[OLD_SERVICE_LABEL];
}

/** A one-off container of `scs run` (src/agent/one-off.ts): never a service's own container. */
export const isOneOff = (labels: Readonly<Record<string, string>>) => labels[LABEL.oneOff] !== undefined;
