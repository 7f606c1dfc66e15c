// The stack files' `replicas:` against the count disco keeps: set when none is stored, or when the
// files changed it since they last set it (saying what it was, and by whom); a `scs scale` stands otherwise.

import { describe, expect, it } from 'vitest';
import { filesReplicas } from '../../src/placement/replicas.ts';
import type { Instances } from '../../src/protocol/instances.ts';

const nameOf = (service: string) => `${service}.blog.prod`;
const stored = (count: number, cause: 'files' | 'scale', files?: number): Map<string, Instances> =>
  new Map([
    [
      'web.blog.prod',
      {
        service: 'web.blog.prod',
        replicas: { count, cause, ...(files === undefined ? {} : { files }) },
        drained: [],
        by: 'x',
        since: '2026-12-07T06:00:00.000Z',
        revision: 4,
      },
    ],
  ]);

describe('the stack files against the stored count', () => {
  it('set the count when none is stored, conditional on none being stored, and say nothing', () => {
    expect(filesReplicas([{ name: 'web', replicas: 3 }, { name: 'db' }], new Map(), nameOf)).toEqual({
      scales: [{ service: 'web.blog.prod', count: 3, cause: 'files', files: 3, revision: 0 }],
      notes: [],
    });
  });

  it('leave a `scs scale` standing while they say what they said when they last set it', () => {
    expect(filesReplicas([{ name: 'web', replicas: 2 }], stored(5, 'scale', 2), nameOf)).toEqual({ scales: [], notes: [] });
  });

  it('win over a `scs scale` once their own count changed, and say so in one line', () => {
    expect(filesReplicas([{ name: 'web', replicas: 3 }], stored(2, 'scale', 2), nameOf)).toEqual({
      scales: [{ service: 'web.blog.prod', count: 3, cause: 'files', files: 3, revision: 4 }],
      notes: ['web: replicas 3 from the stack files (was 2 by scs scale)'],
    });
    // A count stored without the files' (`scs scale` first) is taken over too.
    expect(filesReplicas([{ name: 'web', replicas: 1 }], stored(4, 'scale'), nameOf).notes).toEqual([
      'web: replicas 1 from the stack files (was 4 by scs scale)',
    ]);
  });
});
