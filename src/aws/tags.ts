// The tags scs puts on the AWS resources it makes (EBS volumes, ENIs), by which it finds them again,
// and by which it knows which of them are its own. Pure: the provisioners ask EC2 with these filters.
//
// Two kinds of tag. The name tags (stack, environment, service, volume) say what a resource is for:
// they find it, but a second deployment of the same files has the same ones. The owner tags
// (project, stack id) say whose it is: only a resource carrying this agent's is attached, detached
// or deleted. The host is not one of them: a volume follows its service from host to host, so
// `scs:host` only describes (the host that last attached it).

import { LABEL } from '../docker/labels.ts';

/** The tag that names a resource's service. */
export const SERVICE_TAG = 'scs:service';
/** What named the service before it was `scs:service`: volumes and ENIs made then still carry it, and hold data. */
export const OLD_SERVICE_TAG = 'scs:role';
export const PROJECT_TAG = 'scs:project';
export const STACK_ID_TAG = 'scs:stack-id';
/** The host that last attached it: a description, not a key. */
export const HOST_TAG = 'scs:host';

export interface TagFilter {
  readonly Name: string;
  readonly Values: string[];
}

const filtersOf = (tags: Record<string, string>): TagFilter[] =>
  Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] }));

/**
 * The lookups that find a resource by its name tags, each to be tried: the tags as they are now,
 * then the same with the old service tag, so a resource made before the rename is found too.
 */
export function tagLookups(tags: Readonly<Record<string, string>>): TagFilter[][] {
  const { [SERVICE_TAG]: service, ...others } = tags;
  if (service === undefined) return [filtersOf(tags)];
  return [filtersOf(tags), filtersOf({ ...others, [OLD_SERVICE_TAG]: service })];
}

/** The agent a resource belongs to: its project and its deployment's random id, and the host it runs on. */
export interface Owner {
  readonly project: string;
  readonly stackId: string;
  readonly host: string;
}

/** The owner named by the labels an agent puts on what it makes; undefined without a stack id (nothing is then its own). */
export function ownerOf(labels: Readonly<Record<string, string>>): Owner | undefined {
  const project = labels[LABEL.agent];
  const stackId = labels[LABEL.stackId];
  if (!project || !stackId) return undefined;
  return { project, stackId, host: labels[LABEL.host] ?? '' };
}

/** The tags that make a resource an owner's. */
export const ownerTags = (owner: Owner): Record<string, string> => ({ [PROJECT_TAG]: owner.project, [STACK_ID_TAG]: owner.stackId });

export interface AwsTag {
  readonly Key?: string | undefined;
  readonly Value?: string | undefined;
}

export const tagsOf = (tags: readonly AwsTag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).flatMap(({ Key, Value }) => (Key === undefined ? [] : [[Key, Value ?? '']])));

export const awsTags = (tags: Readonly<Record<string, string>>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** Whether a resource carries the owner's tags. */
export function isOwnedBy(tags: readonly AwsTag[] | undefined, owner: Owner | undefined): boolean {
  if (!owner) return false;
  const found = tagsOf(tags);
  return Object.entries(ownerTags(owner)).every(([key, value]) => found[key] === value);
}

/** Whose a resource that is not this agent's is, as its tags say: "of project host-a, stack id 1a2b3c4d". */
export function whose(tags: readonly AwsTag[] | undefined): string {
  const found = tagsOf(tags);
  const id = found[STACK_ID_TAG];
  if (!id) return 'made by an older scs, without a stack id';
  return `of project ${found[PROJECT_TAG] ?? '(none)'}, stack id ${id.slice(0, 8)}`;
}

/** The resources found by name, split into this owner's and the others (another deployment's, an older scs's). */
export function byOwner<T extends { Tags?: AwsTag[] | undefined }>(
  found: readonly T[],
  owner: Owner | undefined,
): { ours: T[]; others: T[] } {
  const ours = found.filter((resource) => isOwnedBy(resource.Tags, owner));
  return { ours, others: found.filter((resource) => !ours.includes(resource)) };
}

export interface LookAlike {
  readonly id: string;
  readonly tags: readonly AwsTag[] | undefined;
}

/** The start of every sentence about look-alikes: "volume data (db) matches vol-0abc (of project host-a, stack id 1a2b3c4d) by its tags, but it is not this deployment's". */
export function notOurs(label: string, others: readonly LookAlike[]): string {
  const list = others.map(({ id, tags }) => `${id} (${whose(tags)})`).join(', ');
  return `${label} matches ${list} by its tags, but ${others.length === 1 ? 'it is' : 'they are'} not this deployment's`;
}

/** What `scs adopt` would do, said where a look-alike is refused. */
export const ADOPT_HINT =
  "if it is this service's (moved here from another host, or made by an older scs), take it over with scs adopt (same stack file and project)";
