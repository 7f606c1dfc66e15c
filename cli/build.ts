import type { CAC } from 'cac';
import { consola } from 'consola';
import { loadPlan, type StackFlags, selectServices, withStackFile } from './stack.ts';

export function registerBuild(cli: CAC): void {
  withStackFile(cli.command('build [...services]', 'Build the images of a stack (cached by content hash)')).action(
    async (roles: string[], flags: StackFlags) => {
      const plan = selectServices(loadPlan(flags), roles);
      const { Engine } = await import('../src/docker/engine.ts');
      const engine = new Engine();
      await engine.ping();
      const { buildImages } = await import('../src/agent/build.ts');
      await buildImages(engine, plan, consola.withTag('build'));
    },
  );
}
