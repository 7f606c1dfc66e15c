import type { CAC } from 'cac';
import { consola } from 'consola';
import { isAlive, readState } from '../src/agent/state.ts';
import { LABEL } from '../src/docker/labels.ts';
import { loadPlan, withStackFile, type StackFlags } from './stack.ts';

export function registerDown(cli: CAC): void {
  withStackFile(cli.command('down', 'Stop and remove the containers of a stack; keeps volumes unless --volumes'))
    .option('--volumes', 'Also remove the named volumes of the stack (their data is lost)')
    .action(async (flags: StackFlags & { volumes?: boolean }) => {
      const plan = loadPlan(flags);
      const state = readState(plan.directory);
      if (state && isAlive(state.pid) && state.phase !== 'stopped') {
        // The agent drains: provisions dropped before each container stops, in reverse order.
        process.kill(state.pid, 'SIGTERM');
        const deadline = Date.now() + 120_000;
        while (isAlive(state.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Whatever is left (an agent that died, a foreground run killed hard) goes too.
      const { Engine } = await import('../src/docker/engine.ts');
      const engine = new Engine();
      await engine.ping();
      for (const container of await engine.list({ [LABEL.stack]: plan.stack, [LABEL.environment]: plan.environment })) {
        await engine.remove(container.id);
        consola.info(`removed ${container.name}`);
      }
      if (flags.volumes) {
        for (const volume of plan.services.flatMap((s) => s.container.volumes)) {
          if (volume.method === 'named' && (await engine.volumeExists(volume.source))) {
            await engine.removeVolume(volume.source);
            consola.info(`removed volume ${volume.source}`);
          }
        }
      }
      consola.success(`${plan.stack} is down`);
    });
}
