import { describe, expect, it } from 'vitest';
import { AddressRing } from '../../src/client/addresses.ts';

const a = { host: '127.0.0.1', port: 1 };
const b = { host: '127.0.0.1', port: 2 };
const c = { host: '127.0.0.1', port: 3 };

describe('AddressRing', () => {
  it('moves to the next address on each failure, and says when every one has failed in a row', () => {
    const ring = new AddressRing([a, b, c]);
    expect(ring.current).toEqual(a);
    expect(ring.failed()).toBe(false);
    expect(ring.current).toEqual(b);
    expect(ring.failed()).toBe(false);
    expect(ring.failed()).toBe(true);
    expect(ring.current).toEqual(a);
  });

  it('starts counting again once an address works, and stays on it', () => {
    const ring = new AddressRing([a, b]);
    ring.failed();
    ring.worked();
    expect(ring.current).toEqual(b);
    expect(ring.failed()).toBe(false);
    expect(ring.current).toEqual(a);
  });

  it('refuses an empty list', () => {
    expect(() => new AddressRing([])).toThrow(/at least one/);
  });
});
