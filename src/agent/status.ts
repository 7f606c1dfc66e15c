// `scs ps`: what this project's agent says of each service (its state file), next to what Docker
// says of its container and each volume's provisioner of its volume. Data only; cli/ps.ts prints it.

import { consola } from 'consola';
import { LABEL } from '../docker/labels.ts';
import type { ReadEngine } from '../docker/reader.ts';
import type { CompiledService } from '../manifest/compiled.ts';
import { networkProvisioner } from '../networks/methods.ts';
import { replicasOf } from '../placement/replicas.ts';
import { volumeProvisioner } from '../volumes/methods.ts';
import type { VolumeEngine } from '../volumes/provisioner.ts';
import { hostLabel, ownerLabels, resourceLabels, serviceContainers } from './identity.ts';
import { instanceService } from './instances.ts';
import { compileStack, otherFiles, project, type StackFlags } from './stack-files.ts';
import { readStackId } from './stack-id.ts';
import { type AgentState, agentProcessOf, readState, type ServiceRecord } from './state.ts';
import { stateFolder } from './state-folder.ts';

export interface ServiceStatus {
  readonly service: string;
  /** Which instance, from 2 on (src/agent/instances.ts). */
  readonly instance?: number;
  readonly container: string;
  /** The container's id, when it exists. */
  readonly id: string | undefined;
  readonly host: string;
  readonly state: string;
  readonly provides: ServiceRecord['provides'];
  readonly requires: ServiceRecord['requires'];
  readonly lastStep: ServiceRecord['lastStep'];
  readonly volumes: ReadonlyArray<{ name: string; method: string; state: string }>;
}

export interface StackStatus {
  readonly stack: string;
  readonly environment: string;
  readonly project: string;
  /** The running agent of this project, or null when none runs. */
  readonly agent: Pick<AgentState, 'pid' | 'project' | 'host' | 'phase' | 'disco' | 'dns' | 'files'> | null;
  readonly services: readonly ServiceStatus[];
}

export type StatusEngine = Pick<ReadEngine, 'ping' | 'list' | 'inspect' | 'volumeExists'> & Partial<Pick<ReadEngine, 'volumeOptions'>>;

export async function stackStatus(stack: StackFlags, engine?: StatusEngine): Promise<StackStatus> {
  const compiled = compileStack(stack, { hashImages: false });
  const projectName = project(stack);
  const state = readState(stateFolder(projectName, compiled.stack));
  const agent = state !== undefined && agentProcessOf(state) === 'agent' && state.phase !== 'stopped' ? state : undefined;
  const names = agent && agent.only.length > 0 ? new Set(agent.only) : undefined;
  const other = agent && otherFiles(agent, compiled.files);
  if (other) consola.warn(`${other}; what it runs is shown`);
  const docker = engine ?? (await (await import('../docker/reader.ts')).dockerReader());
  await docker.ping();
  const identity = { stack: compiled.stack, environment: compiled.environment, project: projectName, host: hostLabel() };
  const owner = ownerLabels(identity);
  // The deployment's id tells its EBS volumes and ENIs from look-alikes.
  const stackId = readStackId(stateFolder(projectName, compiled.stack));
  const labels = resourceLabels({ ...identity, ...(stackId ? { stackId } : {}) });
  const services = await Promise.all(
    compiled.services
      .filter((service) => !names || names.has(service.name))
      .flatMap((service) => shownInstances(service, agent?.services ?? []).map((instance) => instanceService(service, instance)))
      .map(async (service): Promise<ServiceStatus> => {
        const instance = service.instance ?? 1;
        const record = agent?.services.find((s) => s.service === service.name && (s.instance ?? 1) === instance);
        const info = record?.container ? await docker.inspect(record.container) : undefined;
        const found = info ?? (await serviceContainers(docker, owner, service.name)).find((c) => c.name === service.container.name);
        // The agent's own check, when the stack file declares one, in place of Docker's word on the image's.
        const health = record?.health ?? (service.health ? undefined : found && 'running' in found ? found.health : undefined);
        const notes = [health, record?.drained ? 'drained' : undefined].filter(Boolean).join(', ');
        const seen = found ? ('running' in found ? `${found.status}${notes ? ` (${notes})` : ''}` : found.state) : undefined;
        return {
          service: service.name,
          ...(instance > 1 ? { instance } : {}),
          container: service.container.name,
          id: found?.id,
          host: found?.labels[LABEL.host] ?? '-',
          // The agent's word first: it knows a container it stopped from one that was lost.
          state: record?.statusKind === 'lost' || record?.statusKind === 'stopped' ? record.status : (seen ?? 'not created'),
          provides: record?.provides ?? [],
          requires: record?.requires ?? [],
          lastStep: record?.lastStep,
          volumes: await volumeStates(service, docker, labels),
        };
      }),
  );
  const summary = agent && {
    pid: agent.pid,
    project: agent.project,
    host: agent.host,
    phase: agent.phase,
    disco: agent.disco,
    dns: agent.dns,
    files: agent.files,
  };
  return { stack: compiled.stack, environment: compiled.environment, project: projectName, agent: summary ?? null, services };
}

/** The instances `scs ps` shows of a service: those its agent runs, else as many as the stack files ask for. */
function shownInstances(service: CompiledService, records: readonly ServiceRecord[]): number[] {
  const run = records.filter((record) => record.service === service.name).map((record) => record.instance ?? 1);
  if (run.length > 0) return run.sort((a, b) => a - b);
  return Array.from({ length: Math.max(1, replicasOf(service, undefined)) }, (_, i) => i + 1);
}

/** Each volume's (and an ENI's) method and state as its provisioner sees it now; a lookup that fails says why instead. */
async function volumeStates(service: CompiledService, docker: StatusEngine, labels: Record<string, string>) {
  const engine: VolumeEngine = {
    volumeExists: (name) => docker.volumeExists(name),
    ...(docker.volumeOptions ? { volumeOptions: (name: string) => docker.volumeOptions!(name) } : {}),
    // Looking changes nothing.
    ensureVolume: () => Promise.reject(new Error('scs ps creates no volume')),
    removeVolume: () => Promise.reject(new Error('scs ps removes no volume')),
    volumeLabels: () => Promise.reject(new Error('scs ps asks for no labels')),
  };
  const context = { engine, labels, logger: consola };
  const state = (status: () => Promise<string>) => status().catch((error: Error) => `unknown: ${error.message}`);
  const network = networkProvisioner(service, context);
  return Promise.all([
    ...service.container.volumes.map(async (volume) => {
      const provisioner = volumeProvisioner(volume, context);
      return { name: volume.name, method: volume.method as string, state: await state(() => provisioner.status()) };
    }),
    ...(network
      ? [state(() => network.status()).then((text) => ({ name: '(network)', method: network.method as string, state: text }))]
      : []),
  ]);
}
