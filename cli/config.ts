// `scs config`: the stack as scs reads it, printed (src/manifest/stack-text.ts); its flags only here.

import type { CAC } from 'cac';
import { CONFIG_FORMATS, type ConfigFormat, linesText, onlyServices, stackText } from '../src/manifest/stack-text.ts';
import { UsageError } from './common.ts';
import { checkServices, readStack, type StackFlags, withStackFile } from './stack.ts';

interface ConfigFlags extends StackFlags {
  services?: boolean;
  profiles?: boolean;
  quiet?: boolean;
  format?: string;
  json?: boolean;
}

export function registerConfig(cli: CAC): void {
  withStackFile(
    cli.command(
      'config [...services]',
      'Print the stack as scs reads it: overlays merged, variables substituted, defaults filled in, only the services its profiles run (YAML)',
    ),
  )
    .option('--services', 'Print only the names of the services, one a line')
    .option('--profiles', 'Print only the profiles the services name, one a line, active or not')
    .option('-q, --quiet', 'Print nothing: only check the stack files (exit 0 when they are right)')
    .option('--format <format>', 'Output format: yaml or json (default: yaml)')
    .option('--json', 'Same as --format json')
    .action((names: string[], flags: ConfigFlags) => {
      const format = configFormat(flags);
      const read = readStack({ ...flags, named: names });
      const { stack } = read.stack;
      // A service named that the stack lacks is refused as everywhere else, in one sentence.
      checkServices({ services: Object.keys(stack.services).map((name) => ({ name })) }, names);
      const shown = onlyServices(stack, names);
      if (flags.quiet) return;
      if (flags.profiles) process.stdout.write(linesText(read.declared));
      else if (flags.services) process.stdout.write(linesText(Object.keys(shown.services)));
      else process.stdout.write(stackText(shown, format));
    });
}

function configFormat(flags: ConfigFlags): ConfigFormat {
  const format = flags.format === undefined ? undefined : String(flags.format);
  if (format !== undefined && !CONFIG_FORMATS.includes(format as ConfigFormat))
    throw new UsageError(`--format: expected yaml or json, not "${format}"`);
  if (flags.json && format === 'yaml') throw new UsageError('--json and --format yaml ask for different things; give one');
  return flags.json ? 'json' : ((format as ConfigFormat | undefined) ?? 'yaml');
}
