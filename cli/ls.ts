import type { CAC } from 'cac';
import { formatHostPort } from '../src/address.ts';
import { PatternSchema } from '../src/protocol/fields.ts';
import { connectDisco, type GlobalFlags, parseWith, withDiscoAccess } from './common.ts';
import { type FormatFlags, formatAttributes, outputFormat, printJson, printTable, withFormat } from './output.ts';

export function registerLs(cli: CAC): void {
  withFormat(
    withDiscoAccess(cli.command('ls [name]', 'List registered endpoints (of a name, or of a pattern such as "*.*.blog.prod")')),
  ).action(async (nameText: string | undefined, flags: GlobalFlags & FormatFlags) => {
    const name = nameText === undefined ? undefined : parseWith(PatternSchema, nameText, 'name');
    const format = outputFormat(flags);
    const client = await connectDisco(flags, 'scs ls');
    try {
      const endpoints = await client.list(name);
      if (format === 'json') {
        printJson(endpoints);
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
