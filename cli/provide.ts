import type { CAC } from 'cac';
import { consola } from 'consola';
import type * as v from 'valibot';
import { formatHostPort, parseHostPort } from '../src/address.ts';
import { NameSchema, ProtocolSchema } from '../src/protocol/fields.ts';
import { connectDiscoWaiting, flag, type GlobalFlags, parseAttributes, parseWith, untilSignal, withDiscoAccess } from './common.ts';

export function registerProvide(cli: CAC): void {
  withDiscoAccess(cli.command('provide <name> <address>', 'Register an endpoint until interrupted'))
    .option('--attr <key=value>', 'Attribute of the endpoint (repeatable)')
    .option('--protocol <tcp|udp>', 'Transport protocol', { default: 'tcp' })
    .example('scs provide mysql.db.blog.prod 10.0.0.5:3306 --attr az=us-east-1a')
    .action(async (nameText: string, addressText: string, flags: GlobalFlags & Record<string, unknown>) => {
      const name = parseWith(NameSchema, nameText, 'name');
      const address = flag('address', () => parseHostPort(addressText));
      const protocol = parseWith(ProtocolSchema, flags.protocol, '--protocol') as v.InferOutput<typeof ProtocolSchema>;
      const attrs = parseAttributes(flags.attr);
      const client = await connectDiscoWaiting(flags, `scs provide ${name}`);
      await client.provide({ name, host: address.host, port: address.port, protocol, attrs });
      // Listening before the line that says we are ready: a script that waits for it and then interrupts
      // must reach the goodbye, not Node's default SIGINT death.
      const stopped = untilSignal();
      consola.success(`providing ${name} at ${formatHostPort(address.host, address.port)}/${protocol}`);
      client.on('disconnected', (reason) => consola.warn(`lost disco (${reason}); reconnecting`));
      client.on('connected', ({ resumed }) => consola.info(resumed ? 'disco session resumed' : 'registered again with disco'));
      await stopped;
      await client.close();
    });
}
