import type { CAC } from 'cac';
import { ago } from '../src/duration.ts';
import { PatternSchema } from '../src/protocol/fields.ts';
import { parseWith, withDiscoAccess } from './common.ts';
import { type FormatFlags, outputFormat, printJson, printTable, withFormat } from './output.ts';
import { connectPlacement, type PlacementFlags, stackHere } from './placement-flags.ts';
import { withStackFile } from './stack.ts';

export function registerPlacement(cli: CAC): void {
  withFormat(
    withStackFile(
      withDiscoAccess(
        cli.command(
          'placement [name]',
          'Show where each service is placed, where it runs now, and what is moving (of the stack here, or of a pattern such as "*.*.blog.prod")',
        ),
      ),
    ),
  ).action(async (nameText: string | undefined, flags: PlacementFlags & FormatFlags) => {
    const format = outputFormat(flags);
    const stack = nameText === undefined ? stackHere(flags) : undefined;
    const name =
      nameText !== undefined ? parseWith(PatternSchema, nameText, 'name') : stack ? `*.*.${stack.stack}.${stack.environment}` : undefined;
    const [client, { readPlacements }, { listMembers }, { placementRows }, { readInstances }, { formatDrain }] = await Promise.all([
      connectPlacement(flags, stack, 'scs placement'),
      import('../src/client/placement.ts'),
      import('../src/client/members.ts'),
      import('../src/placement/table.ts'),
      import('../src/client/instances.ts'),
      import('../src/protocol/instances.ts'),
    ]);
    try {
      const [placements, members, records] = await Promise.all([
        readPlacements(client, name),
        listMembers(client, name),
        // A disco older than instances records knows no `instances`: its services show none.
        readInstances(client, name).catch((error: { code?: string }) => {
          if (error.code === 'bad_request') return [];
          throw error;
        }),
      ]);
      const known = stack?.services.map((s) => `${s.name}.${stack.stack}.${stack.environment}`);
      const rows = placementRows(placements, members, known, name, records);
      if (format === 'json') printJson(rows);
      else
        printTable(
          ['SERVICE', 'PLACED ON', 'BY', 'SINCE', 'RUNS ON', 'DATA', 'MOVING', 'REPLICAS', 'DRAINED'],
          rows.map((row) => [
            row.service,
            row.placedOn,
            row.cause,
            row.since ? ago(row.since, Date.now()) : '-',
            row.runsOn.join(', ') || '-',
            row.data ? `${row.data}${row.zone ? ` (${row.zone})` : ''}` : '-',
            row.moving ? `from ${row.moving}` : '-',
            row.replicas ? `${row.replicas.count} (${row.replicas.cause})` : '-',
            row.drained.map(formatDrain).join(', ') || '-',
          ]),
        );
    } finally {
      await client.close();
    }
  });
}
