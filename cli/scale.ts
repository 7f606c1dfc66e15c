// `scs scale SERVICE=N...`: sets how many instances of services should run, in disco, beside their placement.

import type { CAC } from 'cac';
import { consola } from 'consola';
import { INSTANCES_LIMITS } from '../src/protocol/instances.ts';
import { UsageError, withDiscoAccess } from './common.ts';
import { type FormatFlags, outputFormat, printJson, withFormat } from './output.ts';
import { connectPlacement, type PlacementFlags, serviceName, stackHere } from './placement-flags.ts';
import { withStackFile } from './stack.ts';

/** `web=3` as a service and a count; anything else is a usage error that says what was expected. */
export function parseScale(text: string): { name: string; count: number } {
  const match = /^([^=\s]+)=(\d{1,4})$/.exec(text);
  const count = match ? Number(match[2]) : Number.NaN;
  const most = INSTANCES_LIMITS.replicas;
  if (!match || count > most) throw new UsageError(`${text}: expected SERVICE=N, with N from 0 to ${most} (e.g. web=3)`);
  return { name: match[1]!, count };
}

export function registerScale(cli: CAC): void {
  withFormat(
    withStackFile(
      withDiscoAccess(
        cli.command(
          'scale <...service=count>',
          'Set how many instances of services should run (kept in disco; scs up with another replicas: sets it again)',
        ),
      ),
    ),
  ).action(async (texts: string[], flags: PlacementFlags & FormatFlags) => {
    const format = outputFormat(flags);
    const asked = texts.map(parseScale);
    const stack = asked.every(({ name }) => name.includes('.')) ? undefined : stackHere(flags);
    const scales = asked.map(({ name, count }) => ({ service: serviceName(name, stack), count, cause: 'scale' as const }));
    const [client, { scale }, text] = await Promise.all([
      connectPlacement(flags, stack, 'scs scale'),
      import('../src/client/instances.ts'),
      import('../src/placement/instances-text.ts'),
    ]);
    try {
      const records = await scale(client, scales);
      if (format === 'json') printJson(records);
      else for (const record of records) consola.success(text.recordLine(record));
    } finally {
      await client.close();
    }
  });
}
