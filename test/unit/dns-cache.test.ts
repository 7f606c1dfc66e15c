import { describe, expect, it } from 'vitest';
import { ReplyCache } from '../../src/dns/cache.ts';

const bytes = (text: string) => Buffer.from(text);
const A = 1;
const TXT = 16;

describe('the reply cache', () => {
  it('gives back what was stored, until a change touches its name', () => {
    const cache = new ReplyCache({ capacity: 10 });
    cache.set('a', A, bytes('a1'), undefined);
    cache.set('a', TXT, bytes('a-txt'), undefined);
    cache.set('b', A, bytes('b1'), undefined);
    expect(cache.get('a', A, 0)).toEqual(bytes('a1'));
    expect(cache.get('a', TXT, 0)).toEqual(bytes('a-txt'));
    expect(cache.get('a', 99, 0)).toBeUndefined();
    cache.touch(['a']);
    expect(cache.get('a', A, 0)).toBeUndefined();
    expect(cache.get('a', TXT, 0)).toBeUndefined();
    expect(cache.get('b', A, 0)).toEqual(bytes('b1')); // Other names keep their replies.
    cache.set('a', A, bytes('a2'), undefined);
    expect(cache.get('a', A, 0)).toEqual(bytes('a2')); // Encoded after the change: good.
  });

  it('ties a reply that shows the SOA serial to that serial', () => {
    const cache = new ReplyCache({ capacity: 10 });
    cache.set('nx', A, bytes('nx'), 100);
    cache.set('a', A, bytes('a'), undefined);
    expect(cache.get('nx', A, 100)).toEqual(bytes('nx'));
    expect(cache.get('nx', A, 101)).toBeUndefined();
    expect(cache.get('a', A, 101)).toEqual(bytes('a'));
  });

  it('keeps at most its capacity, evicting the name cached first', () => {
    const cache = new ReplyCache({ capacity: 2 });
    cache.set('a', A, bytes('a'), undefined);
    cache.set('b', A, bytes('b'), undefined);
    cache.set('c', A, bytes('c'), undefined);
    expect(cache.size).toBe(2);
    expect(cache.get('a', A, 0)).toBeUndefined();
    expect(cache.get('b', A, 0)).toEqual(bytes('b'));
    expect(cache.get('c', A, 0)).toEqual(bytes('c'));
    cache.set('b', A, bytes('b2'), undefined); // Replacing a reply evicts nothing else.
    expect(cache.size).toBe(2);
    expect(cache.get('c', A, 0)).toEqual(bytes('c'));
  });

  it('evicts a name with all its replies', () => {
    const cache = new ReplyCache({ capacity: 3 });
    cache.set('a', A, bytes('a'), undefined);
    cache.set('a', TXT, bytes('a-txt'), undefined);
    cache.set('b', A, bytes('b'), undefined);
    cache.set('c', A, bytes('c'), undefined);
    expect(cache.size).toBe(2);
    expect(cache.get('a', TXT, 0)).toBeUndefined();
    expect([cache.get('b', A, 0), cache.get('c', A, 0)]).toEqual([bytes('b'), bytes('c')]);
  });

  it('forgets replies together with stamps when there are too many stamps to keep', () => {
    const cache = new ReplyCache({ capacity: 10, maxStamps: 3 });
    cache.set('x', A, bytes('x'), undefined);
    cache.touch(['a', 'b', 'c']);
    expect(cache.get('x', A, 0)).toEqual(bytes('x'));
    cache.touch(['d']); // A fourth name: forgetting the stamp of 'a' would revive an old reply of 'a'.
    expect(cache.size).toBe(0);
    cache.set('x', A, bytes('x2'), undefined);
    cache.touch(['x']);
    expect(cache.get('x', A, 0)).toBeUndefined();
  });

  it('counts a replaced reply once, however often it is replaced', () => {
    const cache = new ReplyCache({ capacity: 3 });
    cache.set('a', A, bytes('a'), undefined);
    cache.set('b', A, bytes('b'), undefined);
    for (let i = 0; i < 5; i++) cache.set('a', A, bytes(`a${i}`), undefined);
    expect(cache.size).toBe(2);
    expect([cache.get('a', A, 0), cache.get('b', A, 0)]).toEqual([bytes('a4'), bytes('b')]);
  });

  it('keeps a reply of a name whose other replies were just evicted to make room for it', () => {
    const cache = new ReplyCache({ capacity: 2 });
    cache.set('a', A, bytes('a'), undefined);
    cache.set('b', A, bytes('b'), undefined);
    cache.set('a', TXT, bytes('a-txt'), undefined); // Full: 'a', cached first, goes whole, then comes back.
    expect(cache.get('a', TXT, 0)).toEqual(bytes('a-txt'));
    expect(cache.get('a', A, 0)).toBeUndefined();
    expect(cache.size).toBe(2);
  });
});
