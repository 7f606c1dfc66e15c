// Which scs image tags `scs images prune` removes: those of the stack (images scs built carry its
// name as a label) that its compiled stack no longer names and that no container, running or stopped, uses.

export interface ImageSummary {
  id: string;
  tags: string[];
}

export interface PruneChoice {
  remove: Array<{ tag: string; id: string }>;
  /** Tags kept only because a container uses their image. */
  inUse: string[];
}

export function chooseTagsToPrune(
  images: readonly ImageSummary[],
  planTags: ReadonlySet<string>,
  imagesInUse: ReadonlySet<string>,
): PruneChoice {
  const remove: PruneChoice['remove'] = [];
  const inUse: string[] = [];
  for (const image of images) {
    for (const tag of image.tags) {
      if (!tag.startsWith('scs/') || planTags.has(tag)) continue;
      if (imagesInUse.has(image.id)) inUse.push(tag);
      else remove.push({ tag, id: image.id });
    }
  }
  const byTag = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return { remove: remove.sort((a, b) => byTag(a.tag, b.tag)), inUse: inUse.sort(byTag) };
}
