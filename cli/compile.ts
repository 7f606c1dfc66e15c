import type { CAC } from 'cac';
import { compileStack, type StackFlags, withStackFile } from './stack.ts';

export function registerCompile(cli: CAC): void {
  withStackFile(cli.command('compile', 'Print the compiled stack: every service resolved and defaulted, in start order (JSON)')).action(
    (flags: StackFlags) => {
      process.stdout.write(`${JSON.stringify(compileStack(flags), null, 2)}\n`);
    },
  );
}
