import type { CAC } from 'cac';
import { loadPlan, type StackFlags, withStackFile } from './stack.ts';

export function registerCompile(cli: CAC): void {
  withStackFile(cli.command('compile', 'Print the static plan of a stack (JSON)')).action((flags: StackFlags) => {
    process.stdout.write(`${JSON.stringify(loadPlan(flags), null, 2)}\n`);
  });
}
