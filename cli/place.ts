import type { CAC } from 'cac';
import { consola } from 'consola';
import { parseDuration } from '../src/duration.ts';
import { flag, UsageError, withDiscoAccess } from './common.ts';
import { connectPlacement, type PlacementFlags, serviceName, stackHere } from './placement-flags.ts';
import { withStackFile } from './stack.ts';

export function registerPlace(cli: CAC): void {
  withStackFile(
    withDiscoAccess(
      cli.command(
        'place <placement-file>',
        'Move every service a placement file names to its host, at once, and wait until they run there',
      ),
    ),
  )
    .option('--timeout <duration>', 'How long the moves may take before what has not moved is placed back', { default: '2m' })
    .action(async (file: string, flags: PlacementFlags & { timeout?: string }) => {
      const timeoutMs = flag('timeout', () => parseDuration(String(flags.timeout)));
      const { readPlacementFile, placesOf } = await import('../src/placement/placement-file.ts');
      const wanted = readPlacementFile(file);
      const here = stackHere(flags);
      const stack = wanted.stack ?? here?.stack;
      const environment =
        wanted.environment ?? (wanted.stack === undefined || wanted.stack === here?.stack ? here?.environment : undefined);
      if (!stack || !environment)
        throw new UsageError(`${file}: name the stack and its environment (stack:, environment:), or run this in the stack's folder`);
      const asked = placesOf(wanted).map(({ service, to, withoutData }) => ({
        service: serviceName(`${service}.${stack}.${environment}`, undefined),
        to,
        withoutData,
      }));
      const [client, { move }] = await Promise.all([connectPlacement(flags, here, 'scs place'), import('../src/placement/mover.ts')]);
      try {
        await move(client, asked, { timeoutMs, logger: consola.withTag('place') });
      } finally {
        await client.close();
      }
    });
}
