// `scs ps`: its flags, and the table (or JSON, or ids) of what src/agent/status.ts finds.

import type { CAC } from 'cac';
import { type StackStatus, stackStatus } from '../src/agent/status.ts';
import { type FormatFlags, outputFormat, printJson, printTable, withFormat } from './output.ts';
import { type StackFlags, withStackFile } from './stack.ts';

export function registerPs(cli: CAC): void {
  withFormat(withStackFile(cli.command('ps', "Show this agent's services: containers, hosts, what they provide, what they point at")))
    .option('-q, --quiet', 'Print only the ids of the containers that exist, one a line')
    .action(async (flags: StackFlags & FormatFlags & { quiet?: boolean }) => {
      const format = outputFormat(flags);
      const status = await stackStatus({ ...flags, remembered: true });
      if (flags.quiet) {
        for (const { id } of status.services) if (id) process.stdout.write(`${id}\n`);
      } else if (format === 'json') {
        const { project: _, ...json } = status;
        printJson(json);
      } else {
        printStatus(status);
      }
    });
}

function printStatus({ stack, environment, project, agent, services }: StackStatus): void {
  if (agent) {
    process.stdout.write(
      `${stack} (${environment}), project ${agent.project} on ${agent.host}: disco ${agent.disco}${agent.dns ? `, DNS ${agent.dns}` : ''}\n`,
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
  if (!agent) process.stdout.write(`(no agent of project ${project} is running for this stack: scs up -d)\n`);
}
