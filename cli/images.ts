// `scs images`: the images scs built for the stack (or, with --all, for every stack on this daemon),
// and `scs images prune`, which removes the stack's that nothing uses any more.

import type { CAC } from 'cac';
import { consola } from 'consola';
import { describeUse, humanSize, type ImageRow, listImages } from '../src/agent/image-list.ts';
import { LABEL } from '../src/docker/labels.ts';
import { ago } from '../src/duration.ts';
import { UsageError } from './common.ts';
import { type FormatFlags, outputFormat, printJson, printTable, withFormat } from './output.ts';
import { compileStack, type StackFlags, stackFiles, withStackFile } from './stack.ts';

type ImagesFlags = StackFlags & FormatFlags & { dryRun?: boolean; all?: boolean; quiet?: boolean };

export function registerImages(cli: CAC): void {
  withFormat(
    withStackFile(
      cli.command(
        'images [action]',
        "List the images scs built for the stack (--all: for every stack); prune: remove the stack's images nothing uses",
      ),
    ),
  )
    .option('-a, --all', "List every stack's scs images on this Docker daemon, not only this stack's")
    .option('-q, --quiet', 'Print only the image ids, one a line')
    .option('--dry-run', 'Print what prune would remove; remove nothing')
    .example('scs images --all --json')
    .example('scs images prune --dry-run')
    .action(async (action: string | undefined, flags: ImagesFlags) => {
      if (action === undefined) await list(flags);
      else if (action === 'prune') await prune(flags);
      else throw new UsageError(`unknown images action "${action}"; the one there is: scs images prune (or none, to list them)`);
    });
}

async function list(flags: ImagesFlags): Promise<void> {
  const format = outputFormat(flags);
  // With --all there may be no stack file here: then no image is known to be in one.
  const compiled = !flags.all || stackFiles(flags).length > 0 ? compileStack(flags) : undefined;
  const { Engine } = await import('../src/docker/engine.ts');
  const engine = new Engine();
  await engine.ping();
  const labels: Record<string, string> = { [LABEL.image]: '' };
  if (!flags.all && compiled) labels[LABEL.stack] = compiled.stack;
  const [images, users] = await Promise.all([engine.listImages(labels), engine.containersByImage()]);
  const current = compiled && { stack: compiled.stack, tags: new Set(compiled.services.map((service) => service.image.tag)) };
  const rows = listImages(images, users, current);
  if (flags.quiet) {
    // One id a line, each once, as `docker images -q` (an image tagged twice is one image).
    for (const id of new Set(rows.map((row) => row.id))) process.stdout.write(`${id}\n`);
  } else if (format === 'json') {
    printJson(rows);
  } else {
    printRows(rows);
    if (rows.length === 0) consola.info(flags.all ? 'no scs images on this Docker daemon' : `no scs images of ${compiled?.stack}`);
  }
}

function printRows(rows: readonly ImageRow[]): void {
  const now = Date.now();
  printTable(
    ['STACK', 'SERVICE', 'HASH', 'IMAGE ID', 'SIZE', 'CREATED', 'IN USE'],
    rows.map((row) => [row.stack, row.service, row.hash, shortId(row.id), humanSize(row.size), ago(row.created, now), describeUse(row)]),
  );
}

/** An image id as `docker images` shows it: twelve hex digits, without `sha256:`. */
function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

async function prune(flags: ImagesFlags): Promise<void> {
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
}
