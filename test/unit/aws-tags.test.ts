// The tags scs finds its EBS volumes and ENIs by: a resource made before scs:service (tagged
// scs:role) is still found, after the new tags found nothing.

import { describe, expect, it } from 'vitest';
import { tagLookups } from '../../src/aws/tags.ts';

describe('tag lookups', () => {
  it('try the tags as they are, then the same with the old service tag', () => {
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
