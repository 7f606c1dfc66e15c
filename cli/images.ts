import type { CAC } from 'cac';
import { consola } from 'consola';
import { UsageError } from './common.ts';
import { loadPlan, type StackFlags, withStackFile } from './stack.ts';

export function registerImages(cli: CAC): void {
  withStackFile(cli.command('images <action>', "prune: remove the stack's scs images that its stack files no longer use"))
    .option('--dry-run', 'Print what prune would remove; remove nothing')
    .action(async (action: string, flags: StackFlags & { dryRun?: boolean }) => {
      if (action !== 'prune') throw new UsageError(`unknown images action "${action}"; the one there is: scs images prune`);
      const plan = loadPlan(flags);
      const [{ Engine }, { LABEL }, { chooseTagsToPrune }] = await Promise.all([
        import('../src/docker/engine.ts'),
        import('../src/docker/labels.ts'),
        import('../src/agent/image-prune.ts'),
      ]);
      const engine = new Engine();
      await engine.ping();
      const images = await engine.listImages({ [LABEL.image]: '', [LABEL.stack]: plan.stack });
      const { remove, inUse } = chooseTagsToPrune(images, new Set(plan.services.map((s) => s.image.tag)), await engine.imagesInUse());
      for (const tag of inUse) consola.info(`kept ${tag}: a container uses it`);
      for (const { tag } of remove) {
        if (flags.dryRun) {
          process.stdout.write(`would remove ${tag}\n`);
          continue;
        }
        // A container may have started from it since the list was read: Docker then keeps it.
        if ((await engine.removeImageTag(tag)) === 'removed') process.stdout.write(`removed ${tag}\n`);
        else consola.info(`kept ${tag}: a container uses it`);
      }
      if (remove.length === 0) consola.info(`no unused images of ${plan.stack}`);
    });
}
