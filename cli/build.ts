import type { CAC } from 'cac';
import { consola } from 'consola';
import { compileStack, type StackFlags, selectServices, withStackFile } from './stack.ts';

export function registerBuild(cli: CAC): void {
  withStackFile(cli.command('build [...services]', 'Build the images of a stack (cached by content hash)')).action(
    async (names: string[], flags: StackFlags) => {
      const compiled = selectServices(compileStack({ ...flags, named: names }), names);
      const { Engine } = await import('../src/docker/engine.ts');
      const engine = new Engine();
      await engine.ping();
      const { buildImages } = await import('../src/agent/build.ts');
      await buildImages(engine, compiled, consola.withTag('build'));
    },
  );
}
