import { describe, expect, it } from 'vitest';
import { chooseTagsToPrune } from '../../src/agent/image-prune.ts';

describe('images prune chooses', () => {
  const images = [
    { id: 'sha256:a', tags: ['scs/blog-web:1111', 'scs/blog-web:2222'] },
    { id: 'sha256:b', tags: ['scs/blog-db:3333'] },
    { id: 'sha256:c', tags: ['scs/blog-db:4444', 'mirror.example/blog-db:latest'] },
    { id: 'sha256:d', tags: [] },
  ];

  it('the scs tags the compiled stack does not name and no container uses; never another name', () => {
    const choice = chooseTagsToPrune(images, new Set(['scs/blog-web:2222', 'scs/blog-db:4444']), new Set(['sha256:b']));
    expect(choice.remove).toEqual([{ tag: 'scs/blog-web:1111', id: 'sha256:a' }]);
    expect(choice.inUse).toEqual(['scs/blog-db:3333']);
  });

  it('nothing when the compiled stack names every tag', () => {
    const all = new Set(images.flatMap((image) => image.tags));
    expect(chooseTagsToPrune(images, all, new Set())).toEqual({ remove: [], inUse: [] });
  });
});
