// The tags scs finds its EBS volumes and ENIs by (the name tags, old scs:role included), and the owner
// tags by which it knows its own from a look-alike: another deployment's, or an older scs's.

import { describe, expect, it } from 'vitest';
import { resourceLabels } from '../../src/agent/identity.ts';
import { byOwner, isOwnedBy, notOurs, ownerOf, ownerTags, tagLookups, whose } from '../../src/aws/tags.ts';

const ID = 'a1b2c3d4'.repeat(4);
const owner = { project: 'host-a', stackId: ID, host: 'web-1' };
const tags = (record: Record<string, string>) => Object.entries(record).map(([Key, Value]) => ({ Key, Value }));

describe('tag lookups', () => {
  it('are the tags as they are, and the same with the old service tag', () => {
    expect(tagLookups({ 'scs:stack': 'shop', 'scs:service': 'db', 'scs:volume': 'data' })).toEqual([
      [
        { Name: 'tag:scs:stack', Values: ['shop'] },
        { Name: 'tag:scs:service', Values: ['db'] },
        { Name: 'tag:scs:volume', Values: ['data'] },
      ],
      [
        { Name: 'tag:scs:stack', Values: ['shop'] },
        { Name: 'tag:scs:volume', Values: ['data'] },
        { Name: 'tag:scs:role', Values: ['db'] },
      ],
    ]);
  });

  it('are one lookup when there is no service tag', () => {
    expect(tagLookups({ 'scs:stack': 'shop' })).toEqual([[{ Name: 'tag:scs:stack', Values: ['shop'] }]]);
  });
});

describe('owner tags', () => {
  it('come from the labels an agent puts on what it makes: its project and stack id; the host only describes', () => {
    const labels = resourceLabels({ stack: 'shop', environment: 'prod', project: 'host-a', host: 'web-1', stackId: ID });
    expect(ownerOf(labels)).toEqual(owner);
    expect(ownerTags(owner)).toEqual({ 'scs:project': 'host-a', 'scs:stack-id': ID });
  });

  it('are none without a stack id, and then nothing is its own', () => {
    const labels = resourceLabels({ stack: 'shop', environment: 'prod', project: 'host-a', host: 'web-1' });
    expect(ownerOf(labels)).toBeUndefined();
    expect(isOwnedBy(tags({ 'scs:project': 'host-a' }), undefined)).toBe(false);
  });

  it('make a resource its own only when both match, whatever host last attached it', () => {
    expect(isOwnedBy(tags({ 'scs:project': 'host-a', 'scs:stack-id': ID, 'scs:host': 'web-9' }), owner)).toBe(true);
    expect(isOwnedBy(tags({ 'scs:project': 'host-b', 'scs:stack-id': ID }), owner)).toBe(false);
    expect(isOwnedBy(tags({ 'scs:project': 'host-a', 'scs:stack-id': 'f'.repeat(32) }), owner)).toBe(false);
    expect(isOwnedBy(tags({ 'scs:project': 'host-a' }), owner)).toBe(false);
    expect(isOwnedBy(undefined, owner)).toBe(false);
  });

  it('split what the name tags found into its own and the look-alikes', () => {
    const mine = { id: 'vol-1', Tags: tags({ 'scs:project': 'host-a', 'scs:stack-id': ID }) };
    const older = { id: 'vol-2', Tags: tags({ 'scs:stack': 'shop' }) };
    const other = { id: 'vol-3', Tags: tags({ 'scs:project': 'host-a', 'scs:stack-id': 'f'.repeat(32) }) };
    expect(byOwner([older, mine, other], owner)).toEqual({ ours: [mine], others: [older, other] });
  });

  it('say whose a look-alike is, in one sentence', () => {
    expect(whose(tags({ 'scs:project': 'host-b', 'scs:stack-id': ID }))).toBe('of project host-b, stack id a1b2c3d4');
    expect(whose(tags({ 'scs:stack': 'shop' }))).toBe('made by an older scs, without a stack id');
    expect(
      notOurs('volume data (db)', [
        { id: 'vol-2', tags: tags({}) },
        { id: 'vol-3', tags: tags({ 'scs:project': 'host-b', 'scs:stack-id': ID }) },
      ]),
    ).toBe(
      "volume data (db) matches vol-2 (made by an older scs, without a stack id), vol-3 (of project host-b, stack id a1b2c3d4) by its tags, but they are not this deployment's",
    );
  });
});
