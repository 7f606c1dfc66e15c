import { describe, expect, it } from 'vitest';
import { ReplyCache } from '../../dns/cache.ts';

const bytes = (text: string) => Buffer.from(text);

describe('the reply cache', () => {
  it('gives back what was stored, until a change touches its name', () => {
    const cache = new ReplyCache({ capacity: 10 });
    cache.set('a/A', bytes('a1'), undefined);
    cache.set('b/A', bytes('b1'), undefined);
    expect(cache.get('a/A', 'a', 0)).toEqual(bytes('a1'));
    cache.touch(['a']);
    expect(cache.get('a/A', 'a', 0)).toBeUndefined();
    expect(cache.get('b/A', 'b', 0)).toEqual(bytes('b1')); // Other names keep their replies.
    cache.set('a/A', bytes('a2'), undefined);
    expect(cache.get('a/A', 'a', 0)).toEqual(bytes('a2')); // Encoded after the change: good.
  });

  it('ties a reply that shows the SOA serial to that serial', () => {
    const cache = new ReplyCache({ capacity: 10 });
    cache.set('nx/A', bytes('nx'), 100);
    cache.set('a/A', bytes('a'), undefined);
    expect(cache.get('nx/A', 'nx', 100)).toEqual(bytes('nx'));
    expect(cache.get('nx/A', 'nx', 101)).toBeUndefined();
    expect(cache.get('a/A', 'a', 101)).toEqual(bytes('a'));
  });

  it('keeps at most its capacity, evicting the oldest stored first', () => {
    const cache = new ReplyCache({ capacity: 2 });
    cache.set('a', bytes('a'), undefined);
    cache.set('b', bytes('b'), undefined);
    cache.set('c', bytes('c'), undefined);
    expect(cache.size).toBe(2);
    expect(cache.get('a', 'a', 0)).toBeUndefined();
    expect(cache.get('b', 'b', 0)).toEqual(bytes('b'));
    expect(cache.get('c', 'c', 0)).toEqual(bytes('c'));
    cache.set('b', bytes('b2'), undefined); // Replacing a stale entry evicts nothing else.
    expect(cache.size).toBe(2);
    expect(cache.get('c', 'c', 0)).toEqual(bytes('c'));
  });

  it('forgets replies together with stamps when there are too many stamps to keep', () => {
    const cache = new ReplyCache({ capacity: 10, maxStamps: 3 });
    cache.set('x', bytes('x'), undefined);
    cache.touch(['a', 'b', 'c']);
    expect(cache.get('x', 'x', 0)).toEqual(bytes('x'));
    cache.touch(['d']); // A fourth name: forgetting the stamp of 'a' would revive an old reply of 'a'.
    expect(cache.size).toBe(0);
    cache.set('x', bytes('x2'), undefined);
    cache.touch(['x']);
    expect(cache.get('x', 'x', 0)).toBeUndefined();
  });
});
