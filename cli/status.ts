import type { CAC } from 'cac';
import { consola } from 'consola';
import { PatternSchema } from '../src/protocol/fields.ts';
import { connectDisco, type GlobalFlags, parseWith, withDiscoAccess } from './common.ts';
import { type FormatFlags, outputFormat, printJson, withFormat } from './output.ts';

export function registerStatus(cli: CAC): void {
  withFormat(
    withDiscoAccess(
      cli.command(
        'status [name]',
        'Show every host disco knows, by data center and zone: what each runs, and what each dependency points at',
      ),
    ),
  ).action(async (nameText: string | undefined, flags: GlobalFlags & FormatFlags) => {
    const name = nameText === undefined ? undefined : parseWith(PatternSchema, nameText, 'name');
    const format = outputFormat(flags);
    const started = performance.now();
    const [client, { listMembers }, { formatStatus, groupMembers }] = await Promise.all([
      connectDisco(flags, 'scs status'),
      import('../src/client/members.ts'),
      import('../src/status/status-text.ts'),
    ]);
    let members: Awaited<ReturnType<typeof listMembers>>;
    try {
      members = await listMembers(client, name);
    } finally {
      // The screen does not wait for the goodbye.
      void client.close();
    }
    consola.debug(`${members.length} members from disco in ${(performance.now() - started).toFixed(1)} ms`);
    if (format === 'json') printJson(groupMembers(members).flatMap((group) => group.members));
    else process.stdout.write(formatStatus(members));
  });
}
