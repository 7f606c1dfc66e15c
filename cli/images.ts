import type { CAC } from 'cac';
import { consola } from 'consola';
import { UsageError } from './common.ts';
import { type FormatFlags, outputFormat, printJson, withFormat } from './output.ts';
import { compileStack, type StackFlags, withStackFile } from './stack.ts';

export function registerImages(cli: CAC): void {
  withFormat(withStackFile(cli.command('images <action>', "prune: remove the stack's scs images that its stack files no longer use")))
    .option('--dry-run', 'Print what prune would remove; remove nothing')
    .action(async (action: string, flags: StackFlags & FormatFlags & { dryRun?: boolean }) => {
      if (action !== 'prune') throw new UsageError(`unknown images action "${action}"; the one there is: scs images prune`);
      const json = outputFormat(flags) === 'json';
      const compiled = compileStack(flags);
      const [{ Engine }, { LABEL }, { chooseTagsToPrune }] = await Promise.all([
        import('../src/docker/engine.ts'),
        import('../src/docker/labels.ts'),
        import('../src/agent/image-prune.ts'),
      ]);
      const engine = new Engine();
      await engine.ping();
      const images = await engine.listImages({ [LABEL.image]: '', [LABEL.stack]: compiled.stack });
      const { remove, inUse } = chooseTagsToPrune(images, new Set(compiled.services.map((s) => s.image.tag)), await engine.imagesInUse());
      const removed: string[] = [];
      const kept = [...inUse];
      for (const { tag } of remove) {
        // A container may have started from it since the list was read: Docker then keeps it.
        if (flags.dryRun || (await engine.removeImageTag(tag)) === 'removed') removed.push(tag);
        else kept.push(tag);
      }
      if (json) {
        printJson({ stack: compiled.stack, dryRun: flags.dryRun === true, removed, kept });
        return;
      }
      for (const tag of kept) consola.info(`kept ${tag}: a container uses it`);
      for (const tag of removed) process.stdout.write(`${flags.dryRun ? 'would remove' : 'removed'} ${tag}\n`);
      if (remove.length === 0) consola.info(`no unused images of ${compiled.stack}`);
    });
}
