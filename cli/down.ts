// `scs down`: its flags, and the line that says it is done; src/agent/down.ts does it.

import type { CAC } from 'cac';
import { consola } from 'consola';
import { down } from '../src/agent/down.ts';
import { type StackFlags, withStackFile } from './stack.ts';

export function registerDown(cli: CAC): void {
  withStackFile(
    cli.command('down', "Stop and remove this agent's containers of a stack; keeps volumes (an EBS volume is detached) unless --volumes"),
  )
    .option(
      '--volumes',
      'Also delete the volumes of its services: named, nfs (the Docker volume, not the export) and aws-ec2-ebs (their data is lost)',
    )
    .action(async (flags: StackFlags & { volumes?: boolean }) => {
      const result = await down({ stack: { ...flags, remembered: true }, volumes: flags.volumes === true });
      consola.success(`${result.stack} is down${result.defaultProject ? '' : ` (project ${result.project})`}`);
    });
}
