// The tags scs puts on the AWS resources it makes (EBS volumes, ENIs), by which it finds them again.
// Pure: the provisioners ask EC2 with these filters.

/** The tag that names a resource's service. */
export const SERVICE_TAG = 'scs:service';
/** What named the service before it was `scs:service`: volumes and ENIs made then still carry it, and hold data. */
export const OLD_SERVICE_TAG = 'scs:role';

export interface TagFilter {
  readonly Name: string;
  readonly Values: string[];
}

const filtersOf = (tags: Record<string, string>): TagFilter[] =>
  Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] }));

/**
 * The lookups that find a resource by its tags, to be tried in order until one finds something:
 * the tags as they are now, then the same with the old service tag, so a resource made before the
 * rename is found and used rather than a second one made beside it.
 */
export function tagLookups(tags: Readonly<Record<string, string>>): TagFilter[][] {
  const { [SERVICE_TAG]: service, ...others } = tags;
  if (service === undefined) return [filtersOf(tags)];
  return [filtersOf(tags), filtersOf({ ...others, [OLD_SERVICE_TAG]: service })];
}
