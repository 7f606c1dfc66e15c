import { describe, expect, it } from 'vitest';
import { describeUse, humanSize, listImages, parseTag } from '../../src/agent/image-list.ts';

const image = (id: string, stack: string, tags: string[], created: number, size = 1_900_000) => ({
  id,
  tags,
  labels: { 'scs.stack': stack, 'scs.image-hash': 'x' },
  size,
  created,
});

describe('scs images lists', () => {
  const images = [
    image('sha256:a', 'blog', ['scs/blog-web:1111'], 100),
    image('sha256:b', 'blog', ['scs/blog-web:2222'], 200),
    image('sha256:c', 'my-shop', ['scs/my-shop-cart-db:3333', 'mirror.example/cart:latest'], 300),
    image('sha256:d', 'blog', [], 400),
  ];

  it('one row per scs tag, by stack and service, newest first; the stack files known only for the stack read', () => {
    const rows = listImages(images, new Map([['sha256:a', 2]]), { stack: 'blog', tags: new Set(['scs/blog-web:2222']) });
    expect(rows.map((row) => [row.stack, row.service, row.hash, row.containers, row.inStackFiles])).toEqual([
      ['blog', 'web', '2222', 0, true],
      ['blog', 'web', '1111', 2, false],
      ['my-shop', 'cart-db', '3333', 0, null],
    ]);
    expect(rows[0]).toEqual({
      stack: 'blog',
      service: 'web',
      hash: '2222',
      tag: 'scs/blog-web:2222',
      id: 'sha256:b',
      size: 1_900_000,
      created: '1970-01-01T00:03:20.000Z',
      containers: 0,
      inStackFiles: true,
    });
  });

  it('without a stack read, no image is known to be in its files', () => {
    expect(listImages(images, new Map()).every((row) => row.inStackFiles === null)).toBe(true);
  });

  it('reads the service from a tag whose stack has dashes, and nothing from a tag scs did not give', () => {
    expect(parseTag('scs/my-shop-cart-db:3333', 'my-shop')).toEqual({ service: 'cart-db', hash: '3333' });
    expect(parseTag('scs/my-shop-:3333', 'my-shop')).toBeUndefined();
    expect(parseTag('mirror.example/cart:latest', 'my-shop')).toBeUndefined();
    expect(parseTag('scs/blog-web', 'blog')).toBeUndefined();
  });

  it('sizes as docker images does', () => {
    expect(humanSize(0)).toBe('0 B');
    expect(humanSize(999)).toBe('999 B');
    expect(humanSize(1_900_000)).toBe('1.9 MB');
    expect(humanSize(2_000_000)).toBe('2 MB');
    expect(humanSize(312_400)).toBe('312 kB');
    expect(humanSize(45_600_000)).toBe('45.6 MB');
    expect(humanSize(1_230_000_000)).toBe('1.2 GB');
  });

  it('says who uses an image', () => {
    expect(describeUse({ containers: 1, inStackFiles: true })).toBe('1 container, stack files');
    expect(describeUse({ containers: 3, inStackFiles: false })).toBe('3 containers');
    expect(describeUse({ containers: 0, inStackFiles: true })).toBe('stack files');
    expect(describeUse({ containers: 0, inStackFiles: false })).toBe('no');
    expect(describeUse({ containers: 0, inStackFiles: null })).toBe('no container');
  });
});
