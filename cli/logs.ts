import type { CAC } from 'cac';
import { hostLabel, ownerLabels } from '../src/agent/identity.ts';
import { LABEL } from '../src/docker/labels.ts';
import { UserError } from './common.ts';
import { loadPlan, project, type StackFlags, withStackFile } from './stack.ts';

export function registerLogs(cli: CAC): void {
  withStackFile(cli.command('logs <service>', 'Show the output of a service container'))
    .option('--follow', 'Keep printing new output')
    .action(async (role: string, flags: StackFlags & { follow?: boolean }) => {
      const plan = loadPlan(flags);
      const service = plan.services.find((s) => s.role === role.toLowerCase());
      if (!service) throw new UserError(`no service "${role}" in the stack (it has: ${plan.services.map((s) => s.role).join(', ')})`);
      const { Engine } = await import('../src/docker/engine.ts');
      const engine = new Engine();
      await engine.ping();
      const identity = { stack: plan.stack, environment: plan.environment, project: project(flags), host: hostLabel() };
      const [container] = await engine.list({ ...ownerLabels(identity), [LABEL.role]: service.role });
      if (!container) throw new UserError(`${role} has no container; scs up first`);
      await engine.logs(container.id, flags.follow === true, process.stdout, process.stderr);
    });
}
