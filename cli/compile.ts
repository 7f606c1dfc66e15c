import type { CAC } from 'cac';
import { loadPlan, type StackFlags } from './stack.ts';

export function registerCompile(cli: CAC): void {
  cli
    .command('compile', 'Print the static plan of a stack (JSON)')
    .option('-f, --file <file>', 'Stack file; repeat to add overlays (default scs-stack.yaml)')
    .action((flags: StackFlags) => {
      process.stdout.write(`${JSON.stringify(loadPlan(flags), null, 2)}\n`);
    });
}
