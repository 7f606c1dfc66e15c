import type { CAC } from 'cac';
import { consola } from 'consola';
import { parseDuration } from '../src/duration.ts';
import { flag, UsageError, withDiscoAccess } from './common.ts';
import { connectPlacement, type PlacementFlags, serviceName, stackHere } from './placement-flags.ts';
import { withStackFile } from './stack.ts';

interface MoveFlags extends PlacementFlags {
  to?: string;
  withoutData?: boolean;
  timeout?: string;
}

export function registerMove(cli: CAC): void {
  withStackFile(
    withDiscoAccess(
      cli.command(
        'move <...services>',
        'Move services to another host, from any machine that reaches disco, and wait until they run there',
      ),
    ),
  )
    .option('--to <host>', 'The host to run them on (an agent of the stack must be up there)')
    .option(
      '--without-data',
      'Let a service whose volume cannot follow it start empty on the new host (a replica that copies its data again)',
    )
    .option('--timeout <duration>', 'How long the move may take before what has not moved is placed back', { default: '2m' })
    .action(async (names: string[], flags: MoveFlags) => {
      if (flags.to === undefined || typeof flags.to !== 'string') throw new UsageError('--to: name the host to move to, e.g. --to h1');
      const to = flags.to;
      const timeoutMs = flag('timeout', () => parseDuration(String(flags.timeout)));
      const stack = names.every((name) => name.includes('.')) ? undefined : stackHere(flags);
      const asked = names.map((name) => ({ service: serviceName(name, stack), to, withoutData: flags.withoutData === true }));
      const [client, { move }] = await Promise.all([connectPlacement(flags, stack, 'scs move'), import('../src/placement/mover.ts')]);
      try {
        await move(client, asked, { timeoutMs, logger: consola.withTag('move') });
      } finally {
        await client.close();
      }
    });
}
