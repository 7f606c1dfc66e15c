// `scs config`: the stack as scs reads it, printed (src/manifest/stack-text.ts); its flags only here.

import type { CAC } from 'cac';
import { CONFIG_FORMATS, type ConfigFormat, onlyServices, serviceNamesText, stackText } from '../src/manifest/stack-text.ts';
import { UsageError } from './common.ts';
import { checkServices, readStack, type StackFlags, withStackFile } from './stack.ts';

interface ConfigFlags extends StackFlags {
  services?: boolean;
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
    .option('--format <format>', 'Output format: yaml or json (default: yaml)')
    .option('--json', 'Same as --format json')
    .action((names: string[], flags: ConfigFlags) => {
      const format = configFormat(flags);
      const { stack } = readStack({ ...flags, named: names }).stack;
      // A service named that the stack lacks is refused as everywhere else, in one sentence.
      checkServices({ services: Object.keys(stack.services).map((name) => ({ name })) }, names);
      const shown = onlyServices(stack, names);
      process.stdout.write(flags.services ? serviceNamesText(shown) : stackText(shown, format));
    });
}

function configFormat(flags: ConfigFlags): ConfigFormat {
  const format = flags.format === undefined ? undefined : String(flags.format);
  if (format !== undefined && !CONFIG_FORMATS.includes(format as ConfigFormat))
    throw new UsageError(`--format: expected yaml or json, not "${format}"`);
  if (flags.json && format === 'yaml') throw new UsageError('--json and --format yaml ask for different things; give one');
  return flags.json ? 'json' : ((format as ConfigFormat | undefined) ?? 'yaml');
}
