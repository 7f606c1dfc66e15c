import type { CAC } from 'cac';
import { isAlive, readState, type ServiceRecord } from '../src/agent/state.ts';
import { LABEL } from '../src/docker/labels.ts';
import { printTable } from './output.ts';
import { loadPlan, withStackFile, type StackFlags } from './stack.ts';

export function registerPs(cli: CAC): void {
  withStackFile(cli.command('ps', 'Show the services of a stack: containers, what they provide, what they point at'))
    .option('--json', 'Print JSON')
    .action(async (flags: StackFlags & { json?: boolean }) => {
      const plan = loadPlan(flags);
      const state = readState(plan.directory);
      const agentUp = state !== undefined && isAlive(state.pid) && state.phase !== 'stopped';
      const { Engine } = await import('../src/docker/engine.ts');
      const engine = new Engine();
      await engine.ping();
      const services = await Promise.all(
        plan.services.map(async (service) => {
          const record: ServiceRecord | undefined = agentUp ? state.services.find((s) => s.role === service.role) : undefined;
          const labels = { [LABEL.stack]: plan.stack, [LABEL.environment]: plan.environment, [LABEL.role]: service.role };
          const info = record?.container ? await engine.inspect(record.container) : (await engine.list(labels))[0];
          const status = info ? ('status' in info ? info.status : info.state) + ('health' in info && info.health ? ` (${info.health})` : '') : 'not created';
          return {
            role: service.role,
            container: service.container.name,
            state: status,
            provides: record?.provides ?? [],
            requires: record?.requires ?? [],
            lastStep: record?.lastStep,
          };
        }),
      );
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ stack: plan.stack, environment: plan.environment, agent: agentUp ? { pid: state.pid, phase: state.phase, disco: state.disco, dns: state.dns } : null, services }, null, 2)}\n`);
        return;
      }
      printTable(
        ['SERVICE', 'CONTAINER', 'STATE', 'PROVIDES', 'REQUIRES', 'LAST STEP'],
        services.map((s) => [
          s.role,
          s.container,
          s.state,
          s.provides.map((p) => `${p.name} ${p.address}`).join(', ') || '-',
          s.requires
            .map((r) => {
              const now = r.current.join(';') || 'nothing';
              const lagging = r.applied.join(';') !== r.current.join(';');
              const last = r.lastUpdate ? ` [${r.lastUpdate.action} ${r.lastUpdate.ok ? 'ok' : 'failed'} ${r.lastUpdate.at.slice(11, 19)}]` : '';
              return `${r.endpoint} → ${now}${lagging ? ` (still at ${r.applied.join(';') || 'nothing'})` : ''}${last}`;
            })
            .join(', ') || '-',
          s.lastStep ? `${s.lastStep.step} ${s.lastStep.ok ? 'ok' : 'failed'} ${s.lastStep.at.slice(11, 19)} (${s.lastStep.cause})` : '-',
        ]),
      );
      if (!agentUp) process.stdout.write('(no agent is running for this stack: scs up -d)\n');
    });
}
