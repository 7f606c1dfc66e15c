// `scs drain` and `scs undrain`: drop the endpoints of a service's instances and keep their containers
// running (for a deploy, a backup, debugging), or provide them again. Kept in disco, so a drain
// outlives every agent restart and shows everywhere (`scs ps`, `scs status`, `scs placement`).

import type { CAC } from 'cac';
import { consola } from 'consola';
import { instanceNumber } from '../src/agent/command-flags.ts';
import { isLabel } from '../src/names.ts';
import { flag, UsageError, withDiscoAccess } from './common.ts';
import { type FormatFlags, outputFormat, printJson, withFormat } from './output.ts';
import { connectPlacement, type PlacementFlags, serviceName, stackHere } from './placement-flags.ts';
import { withStackFile } from './stack.ts';

interface DrainFlags extends PlacementFlags, FormatFlags {
  instance?: string | number;
  host?: string;
}

const VERBS = {
  drain: 'Drop the endpoints of services and keep their containers running, until scs undrain (every host and instance unless named)',
  undrain: 'Provide the endpoints of drained services again (every drain of them unless a host or instance is named)',
} as const;

function registerVerb(cli: CAC, verb: keyof typeof VERBS): void {
  withFormat(withStackFile(withDiscoAccess(cli.command(`${verb} <...services>`, VERBS[verb]))))
    .option('--instance <n>', 'Only this instance (1 is the first, the one each host runs today)')
    .option('--host <host>', 'Only on this host (its name, as scs status shows it)')
    .action(async (names: string[], flags: DrainFlags) => {
      const format = outputFormat(flags);
      const instance = flags.instance === undefined ? undefined : flag('instance', () => instanceNumber(flags.instance));
      const host = flags.host === undefined ? undefined : flag('host', () => hostName(flags.host));
      const stack = names.every((name) => name.includes('.')) ? undefined : stackHere(flags);
      const drains = names.map((name) => ({
        service: serviceName(name, stack),
        ...(host === undefined ? {} : { host }),
        ...(instance === undefined ? {} : { instance }),
        drained: verb === 'drain',
      }));
      const [client, { drain }, { recordLine }] = await Promise.all([
        connectPlacement(flags, stack, `scs ${verb}`),
        import('../src/client/instances.ts'),
        import('../src/placement/instances-text.ts'),
      ]);
      try {
        const records = await drain(client, drains);
        if (format === 'json') printJson(records);
        else for (const record of records) consola.success(recordLine(record));
      } finally {
        await client.close();
      }
    });
}

function hostName(value: unknown): string {
  const text = String(value).toLowerCase();
  if (!isLabel(text)) throw new UsageError(`expected a host name like "h1", not "${String(value)}"`);
  return text;
}

export const registerDrain = (cli: CAC) => registerVerb(cli, 'drain');
export const registerUndrain = (cli: CAC) => registerVerb(cli, 'undrain');
