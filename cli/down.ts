import type { CAC } from 'cac';
import { consola } from 'consola';
import { hostLabel, ownerLabels } from '../src/agent/identity.ts';
import { stackNetworkName } from '../src/agent/stack-network.ts';
import { isAlive, readState } from '../src/agent/state.ts';
import { networkProvisioner } from '../src/networks/methods.ts';
import { volumeProvisioner } from '../src/volumes/methods.ts';
import { compileStack, project, type StackFlags, withStackFile } from './stack.ts';

export function registerDown(cli: CAC): void {
  withStackFile(
    cli.command('down', "Stop and remove this agent's containers of a stack; keeps volumes (an EBS volume is detached) unless --volumes"),
  )
    .option(
      '--volumes',
      'Also delete the volumes of its services: named, nfs (the Docker volume, not the export) and aws-ec2-ebs (their data is lost)',
    )
    .action(async (flags: StackFlags & { volumes?: boolean }) => {
      const compiled = compileStack(flags);
      const projectName = project(flags);
      const state = readState(compiled.directory, projectName);
      if (state && isAlive(state.pid) && state.phase !== 'stopped') {
        // The agent drains: provisions dropped before each container stops, in reverse order.
        process.kill(state.pid, 'SIGTERM');
        const deadline = Date.now() + 120_000;
        while (isAlive(state.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // What is left of this agent's (one that died, a foreground run killed hard) goes too; other agents' stay.
      const { Engine } = await import('../src/docker/engine.ts');
      const engine = new Engine();
      await engine.ping();
      const identity = { stack: compiled.stack, environment: compiled.environment, project: projectName, host: hostLabel() };
      for (const container of await engine.list(ownerLabels(identity))) {
        await engine.remove(container.id);
        consola.info(`removed ${container.name}`);
      }
      const network = stackNetworkName(identity);
      if (await engine.removeNetwork(network)) consola.info(`removed network ${network}`);
      // An agent that went down cleanly has let go of its volumes already; these calls then change nothing.
      const names = state?.only.length ? new Set(state.only) : undefined;
      const context = { engine, labels: ownerLabels(identity), logger: consola };
      for (const service of compiled.services.filter((s) => !names || names.has(s.name))) {
        for (const volume of service.container.volumes) {
          const provisioner = volumeProvisioner(volume, context);
          await (flags.volumes ? provisioner.deprovision() : provisioner.detach());
        }
        const network = networkProvisioner(service, context);
        if (network) await (flags.volumes ? network.deprovision() : network.detach());
      }
      consola.success(`${compiled.stack} is down${projectName === hostLabel() ? '' : ` (project ${projectName})`}`);
    });
}
