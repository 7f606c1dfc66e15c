// `scs exec`: which container a command runs in. The agent's state names the container of each
// instance it runs; without a state (no agent runs now) the containers carrying its labels say.
// Pure: cli/exec.ts reads the state and lists the containers, this decides, in one sentence when it cannot.

import { serviceLabelOf } from '../docker/labels.ts';
import { UserError } from '../errors.ts';
import type { ContainerSummary } from './container-engine.ts';
import { instanceName, instanceOfLabels } from './instances.ts';
import type { ServiceRecord } from './state.ts';

export interface ExecChoice {
  /** The service named, known to be in the stack. */
  readonly service: string;
  readonly instance: number;
  /** What the running agent says it runs; undefined when no agent runs. */
  readonly records: readonly ServiceRecord[] | undefined;
  /** This agent's containers (its owner labels), as Docker lists them. */
  readonly containers: readonly ContainerSummary[];
}

/** The container to run the command in; a UserError (exit 1) saying why there is none. */
export function execTarget({ service, instance, records, containers }: ExecChoice): ContainerSummary {
  const name = instanceName(service, instance);
  // A one-off of `scs run` carries no service label: it is never one of these.
  const ofService = containers.filter((c) => serviceLabelOf(c.labels) === service);
  const mine = records?.filter((record) => record.service === service);
  if (mine?.length === 0) throw new UserError(`this agent does not run ${service} (it runs ${runs(records!)}); scs up ${service} first`);
  const instances = mine ? mine.map((record) => record.instance ?? 1) : ofService.map((c) => instanceOfLabels(c.labels));
  if (instances.length === 0) throw new UserError(`${service} has no container; scs up first`);
  if (!instances.includes(instance)) {
    const sorted = [...new Set(instances)].sort((a, b) => a - b);
    throw new UserError(`${service} has no instance ${instance} here (it has ${sorted.join(', ')})`);
  }
  const record = mine?.find((each) => (each.instance ?? 1) === instance);
  // The agent's word, when it runs: a container it has not taken on (yet) is not its instance.
  const found = record ? containers.find((c) => c.id === record.container) : ofService.find((c) => instanceOfLabels(c.labels) === instance);
  if (!found) throw new UserError(`${name} has no container now${record ? ` (${record.status})` : ''}; see scs ps`);
  if (found.state !== 'running')
    throw new UserError(`${name}'s container ${found.name} is ${found.state}, not running; scs start ${service}`);
  return found;
}

/** The services a state says its agent runs, for a sentence. */
function runs(records: readonly ServiceRecord[]): string {
  const services = [...new Set(records.map((record) => record.service))];
  return services.length > 0 ? services.join(', ') : 'nothing';
}
