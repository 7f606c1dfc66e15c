import type { CAC } from 'cac';
import { consola } from 'consola';
import { hostLabel, ownerLabels } from '../src/agent/identity.ts';
import { isAlive, readState, type ServiceRecord } from '../src/agent/state.ts';
import { LABEL } from '../src/docker/labels.ts';
import type { ServicePlan } from '../src/manifest/compile.ts';
import { networkProvisioner } from '../src/networks/provisioner.ts';
import { type VolumeEngine, volumeProvisioner } from '../src/volumes/provisioner.ts';
import { type FormatFlags, outputFormat, printJson, printTable, withFormat } from './output.ts';
import { loadPlan, project, type StackFlags, withStackFile } from './stack.ts';

export function registerPs(cli: CAC): void {
  withFormat(withStackFile(cli.command('ps', "Show this agent's services: containers, hosts, what they provide, what they point at")))
    .option('-q, --quiet', 'Print only the ids of the containers that exist, one a line')
    .action(async (flags: StackFlags & FormatFlags & { quiet?: boolean }) => {
      const format = outputFormat(flags);
      const plan = loadPlan(flags);
      const projectName = project(flags);
      const state = readState(plan.directory, projectName);
      const agentUp = state !== undefined && isAlive(state.pid) && state.phase !== 'stopped';
      const roles = agentUp && state.roles.length > 0 ? new Set(state.roles) : undefined;
      const { Engine } = await import('../src/docker/engine.ts');
      const engine = new Engine();
      await engine.ping();
      const owner = ownerLabels({ stack: plan.stack, environment: plan.environment, project: projectName, host: hostLabel() });
      const services = await Promise.all(
        plan.services
          .filter((service) => !roles || roles.has(service.role))
          .map(async (service) => {
            const record: ServiceRecord | undefined = agentUp ? state.services.find((s) => s.role === service.role) : undefined;
            const info = record?.container ? await engine.inspect(record.container) : undefined;
            const found = info ?? (await engine.list({ ...owner, [LABEL.role]: service.role }))[0];
            const docker = found
              ? 'running' in found
                ? `${found.status}${found.health ? ` (${found.health})` : ''}`
                : found.state
              : undefined;
            return {
              role: service.role,
              container: service.container.name,
              id: found?.id,
              host: found?.labels[LABEL.host] ?? '-',
              // The agent's word first: it knows a container it stopped from one that was lost.
              state: record?.status.startsWith('lost') || record?.status.startsWith('stopped') ? record.status : (docker ?? 'not created'),
              provides: record?.provides ?? [],
              requires: record?.requires ?? [],
              lastStep: record?.lastStep,
              volumes: await volumeStates(service, engine),
            };
          }),
      );
      if (flags.quiet) {
        for (const { id } of services) if (id) process.stdout.write(`${id}\n`);
        return;
      }
      if (format === 'json') {
        const agent = agentUp
          ? {
              pid: state.pid,
              project: state.project,
              host: state.host,
              phase: state.phase,
              disco: state.disco,
              dns: state.dns,
              files: state.files,
            }
          : null;
        printJson({ stack: plan.stack, environment: plan.environment, agent, services });
        return;
      }
      if (agentUp) {
        process.stdout.write(
          `${plan.stack} (${plan.environment}), project ${state.project} on ${state.host}: disco ${state.disco}${state.dns ? `, DNS ${state.dns}` : ''}\n`,
        );
      }
      printTable(
        ['SERVICE', 'CONTAINER', 'HOST', 'STATE', 'PROVIDES', 'REQUIRES', 'LAST STEP'],
        services.map((s) => [
          s.role,
          s.container,
          s.host,
          s.state,
          s.provides.map((p) => `${p.name} ${p.address}`).join(', ') || '-',
          s.requires
            .map((r) => {
              const now = r.current.join(';') || 'nothing';
              const lagging = r.applied.join(';') !== r.current.join(';');
              const last = r.lastUpdate
                ? ` [${r.lastUpdate.action} ${r.lastUpdate.ok ? 'ok' : 'failed'} ${r.lastUpdate.at.slice(11, 19)}]`
                : '';
              return `${r.endpoint} → ${now}${lagging ? ` (still at ${r.applied.join(';') || 'nothing'})` : ''}${last}`;
            })
            .join(', ') || '-',
          s.lastStep ? `${s.lastStep.step} ${s.lastStep.ok ? 'ok' : 'failed'} ${s.lastStep.at.slice(11, 19)} (${s.lastStep.cause})` : '-',
        ]),
      );
      const volumes = services.flatMap((s) => s.volumes.map((volume) => [s.role, volume.name, volume.method, volume.state]));
      if (volumes.length > 0) {
        process.stdout.write('\n');
        printTable(['SERVICE', 'VOLUME', 'METHOD', 'STATE'], volumes);
      }
      if (!agentUp) process.stdout.write(`(no agent of project ${projectName} is running for this stack: scs up -d)\n`);
    });
}

/** Each volume's (and an ENI's) method and state as its provisioner sees it now; a lookup that fails says why instead. */
async function volumeStates(service: ServicePlan, engine: VolumeEngine) {
  const context = { engine, labels: {}, logger: consola };
  const state = (status: () => Promise<string>) => status().catch((error: Error) => `unknown: ${error.message}`);
  const network = networkProvisioner(service, context);
  return Promise.all([
    ...service.container.volumes.map(async (volume) => {
      const provisioner = volumeProvisioner(volume, context);
      return { name: volume.name, method: volume.method, state: await state(() => provisioner.status()) };
    }),
    ...(network ? [state(() => network.status()).then((text) => ({ name: '(network)', method: network.method, state: text }))] : []),
  ]);
}
