import type { CAC } from 'cac';
import { formatHostPort } from '../src/address.ts';
import { PatternSchema } from '../src/protocol/fields.ts';
import { connectDisco, type GlobalFlags, parseWith, withDiscoAccess } from './common.ts';
import { formatAttributes, printTable } from './output.ts';

export function registerLs(cli: CAC): void {
  withDiscoAccess(cli.command('ls [name]', 'List registered endpoints (of a name, or of a pattern such as "*.*.blog.prod")'))
    .option('--json', 'Print JSON')
    .action(async (nameText: string | undefined, flags: GlobalFlags & { json?: boolean }) => {
      const name = nameText === undefined ? undefined : parseWith(PatternSchema, nameText, 'name');
      const client = await connectDisco(flags, 'scs ls');
      try {
        const endpoints = await client.list(name);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(endpoints, null, 2)}\n`);
          return;
        }
        printTable(
          ['NAME', 'ADDRESS', 'PROTOCOL', 'ATTRIBUTES'],
          endpoints.map((e) => [e.name, formatHostPort(e.host, e.port), e.protocol, formatAttributes(e.attrs)]),
        );
      } finally {
        await client.close();
      }
    });
}
