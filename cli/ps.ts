import type { CAC } from 'cac';
import { consola } from 'consola';
import { hostLabel, ownerLabels, serviceContainers } from '../src/agent/identity.ts';
import { isAlive, readState, type ServiceRecord } from '../src/agent/state.ts';
import { LABEL } from '../src/docker/labels.ts';
import type { CompiledService } from '../src/manifest/compiled.ts';
import { networkProvisioner } from '../src/networks/methods.ts';
import { volumeProvisioner } from '../src/volumes/methods.ts';
import type { VolumeEngine } from '../src/volumes/provisioner.ts';
import { type FormatFlags, outputFormat, printJson, printTable, withFormat } from './output.ts';
import { compileStack, project, type StackFlags, withStackFile } from './stack.ts';

export function registerPs(cli: CAC): void {
  withFormat(withStackFile(cli.command('ps', "Show this agent's services: containers, hosts, what they provide, what they point at")))
    .option('-q, --quiet', 'Print only the ids of the containers that exist, one a line')
    .action(async (flags: StackFlags & FormatFlags & { quiet?: boolean }) => {
      const format = outputFormat(flags);
      const compiled = compileStack(flags);
      const projectName = project(flags);
      const state = readState(compiled.directory, projectName);
      const agentUp = state !== undefined && isAlive(state.pid) && state.phase !== 'stopped';
      const names = agentUp && state.only.length > 0 ? new Set(state.only) : undefined;
      const { Engine } = await import('../src/docker/engine.ts');
      const engine = new Engine();
      await engine.ping();
      const owner = ownerLabels({ stack: compiled.stack, environment: compiled.environment, project: projectName, host: hostLabel() });
      const services = await Promise.all(
        compiled.services
          .filter((service) => !names || names.has(service.name))
          .map(async (service) => {
            const record: ServiceRecord | undefined = agentUp ? state.services.find((s) => s.service === service.name) : undefined;
            const info = record?.container ? await engine.inspect(record.container) : undefined;
            const found = info ?? (await serviceContainers(engine, owner, service.name))[0];
            const docker = found
              ? 'running' in found
                ? `${found.status}${found.health ? ` (${found.health})` : ''}`
                : found.state
              : undefined;
            return {
              service: service.name,
              container: service.container.name,
              id: found?.id,
              host: found?.labels[LABEL.host] ?? '-',
              // The agent's word first: it knows a container it stopped from one that was lost.
              state: record?.statusKind === 'lost' || record?.statusKind === 'stopped' ? record.status : (docker ?? 'not created'),
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
        printJson({ stack: compiled.stack, environment: compiled.environment, agent, services });
        return;
      }
      if (agentUp) {
        process.stdout.write(
          `${compiled.stack} (${compiled.environment}), project ${state.project} on ${state.host}: disco ${state.disco}${state.dns ? `, DNS ${state.dns}` : ''}\n`,
        );
      }
      printTable(
        ['SERVICE', 'CONTAINER', 'HOST', 'STATE', 'PROVIDES', 'REQUIRES', 'LAST STEP'],
        services.map((s) => [
          s.service,
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
      const volumes = services.flatMap((s) => s.volumes.map((volume) => [s.service, volume.name, volume.method, volume.state]));
      if (volumes.length > 0) {
        process.stdout.write('\n');
        printTable(['SERVICE', 'VOLUME', 'METHOD', 'STATE'], volumes);
      }
      if (!agentUp) process.stdout.write(`(no agent of project ${projectName} is running for this stack: scs up -d)\n`);
    });
}

/** Each volume's (and an ENI's) method and state as its provisioner sees it now; a lookup that fails says why instead. */
async function volumeStates(service: CompiledService, engine: VolumeEngine) {
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
