// What `scs images` lists: the images scs built (they carry the scs.image-hash label), each with its
// stack, service and content hash, and whether a container uses it and whether the stack files
// still name it. Pure: cli/images.ts reads the daemon and the stack, and prints.

import { LABEL } from '../docker/labels.ts';

export interface BuiltImage {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  /** Bytes. */
  size: number;
  /** Unix seconds, as the Engine API gives it. */
  created: number;
}

/** One row of `scs images`, as `--format json` prints it (docs/cli.md). */
export interface ImageRow {
  stack: string;
  service: string;
  /** The content hash the tag carries (its first 16 hex digits). */
  hash: string;
  tag: string;
  id: string;
  size: number;
  /** RFC 3339. */
  created: string;
  /** How many containers, running or stopped, were created from it. */
  containers: number;
  /** Whether the stack files name this tag; null for another stack's image (its files are not read). */
  inStackFiles: boolean | null;
}

export interface StackTags {
  stack: string;
  tags: ReadonlySet<string>;
}

/**
 * One row per scs tag (an image tagged twice is listed twice, as `docker images` does), by stack,
 * service, then newest first. `current` is the stack whose files were read, if any.
 */
export function listImages(images: readonly BuiltImage[], containersByImage: ReadonlyMap<string, number>, current?: StackTags): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    const stack = image.labels[LABEL.stack] ?? '';
    for (const tag of image.tags) {
      const parsed = parseTag(tag, stack);
      if (!parsed) continue;
      rows.push({
        stack,
        service: parsed.service,
        hash: parsed.hash,
        tag,
        id: image.id,
        size: image.size,
        created: new Date(image.created * 1000).toISOString(),
        containers: containersByImage.get(image.id) ?? 0,
        inStackFiles: current && current.stack === stack ? current.tags.has(tag) : null,
      });
    }
  }
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return rows.sort((a, b) => text(a.stack, b.stack) || text(a.service, b.service) || text(b.created, a.created) || text(a.tag, b.tag));
}

/**
 * The service and hash in a tag scs gives (`scs/STACK-SERVICE:HASH`, src/manifest/compile.ts). The
 * stack's name may hold dashes too: the label says where it ends. Undefined for any other tag.
 */
export function parseTag(tag: string, stack: string): { service: string; hash: string } | undefined {
  const colon = tag.lastIndexOf(':');
  if (colon < 0) return undefined;
  const repository = tag.slice(0, colon);
  const prefix = `scs/${stack}-`;
  if (!repository.startsWith(prefix) || repository.length === prefix.length) return undefined;
  return { service: repository.slice(prefix.length), hash: tag.slice(colon + 1) };
}

/** A size as `docker images` shows it: decimal units, three significant digits at most (`1.9 MB`, `312 kB`). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const shown = unit === 0 || value >= 100 ? Math.round(value).toString() : value.toFixed(1);
  return `${shown.replace(/\.0$/, '')} ${units[unit]}`;
}

/** The IN USE cell: who uses it, or `no`; for another stack's image only its containers are known. */
export function describeUse(row: Pick<ImageRow, 'containers' | 'inStackFiles'>): string {
  const uses = [
    ...(row.containers > 0 ? [row.containers === 1 ? '1 container' : `${row.containers} containers`] : []),
    ...(row.inStackFiles ? ['stack files'] : []),
  ];
  if (uses.length > 0) return uses.join(', ');
  return row.inStackFiles === null ? 'no container' : 'no';
}
