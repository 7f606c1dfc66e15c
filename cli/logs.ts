import type { CAC } from 'cac';
import { hostLabel, ownerLabels, serviceContainers } from '../src/agent/identity.ts';
import { UserError } from './common.ts';
import { compileStack, project, type StackFlags, withStackFile } from './stack.ts';

export function registerLogs(cli: CAC): void {
  withStackFile(cli.command('logs <service>', 'Show the output of a service container'))
    .option('--follow', 'Keep printing new output')
    .action(async (name: string, flags: StackFlags & { follow?: boolean }) => {
      const compiled = compileStack(flags);
      const service = compiled.services.find((s) => s.name === name.toLowerCase());
      if (!service) throw new UserError(`no service "${name}" in the stack (it has: ${compiled.services.map((s) => s.name).join(', ')})`);
      const { Engine } = await import('../src/docker/engine.ts');
      const engine = new Engine();
      await engine.ping();
      const identity = { stack: compiled.stack, environment: compiled.environment, project: project(flags), host: hostLabel() };
      const [container] = await serviceContainers(engine, ownerLabels(identity), service.name);
      if (!container) throw new UserError(`${service.name} has no container; scs up first`);
      await engine.logs(container.id, flags.follow === true, process.stdout, process.stderr);
    });
}
