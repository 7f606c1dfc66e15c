// `scs adopt`: its flags, and the line that says it is done; src/agent/adopt.ts does it.

import type { CAC } from 'cac';
import { consola } from 'consola';
import { adopt } from '../src/agent/adopt.ts';
import { type StackFlags, withStackFile } from './stack.ts';

export function registerAdopt(cli: CAC): void {
  withStackFile(
    cli.command(
      'adopt [...services]',
      "Make the EBS volumes and ENIs that match a service by name, made by an older scs or by another host's agent, this agent's",
    ),
  ).action(async (services: string[], flags: StackFlags) => {
    const adopted = await adopt({ stack: flags, services });
    consola.success(adopted === 0 ? 'nothing adopted' : `adopted ${adopted}; scs up uses ${adopted === 1 ? 'it' : 'them'} now`);
  });
}
