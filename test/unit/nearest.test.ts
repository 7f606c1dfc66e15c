import { describe, expect, it } from 'vitest';
import { nearestFirst, type Place, placeOf, type Tier, tierOf, withPlace, zoneOf } from '../../src/registry/nearest.ts';
import type { Attributes } from '../../src/registry/types.ts';

describe('the ordering table: how near an endpoint is to the asker', () => {
  const a1 = { zone: 'a1', dc: 'a' };
  const rows: [string, Place, Place, Tier][] = [
    ['same zone and dc', a1, { zone: 'a1', dc: 'a' }, 0],
    ['same zone, the endpoint says no dc', a1, { zone: 'a1' }, 0],
    ['same zone, the asker says no dc', { zone: 'a1' }, { zone: 'a1', dc: 'a' }, 0],
    ['a zone of the same name in another dc', a1, { zone: 'a1', dc: 'b' }, 2],
    ['another zone of the same dc', a1, { zone: 'a2', dc: 'a' }, 1],
    ['the same dc, the endpoint says no zone', a1, { dc: 'a' }, 1],
    ['an asker that knows only its dc: same dc', { dc: 'a' }, { zone: 'a1', dc: 'a' }, 1],
    ['another dc', a1, { zone: 'b1', dc: 'b' }, 2],
    ['an endpoint that says nothing', a1, {}, 2],
    ['an asker that knows only its zone: another zone', { zone: 'a1' }, { zone: 'a2', dc: 'a' }, 2],
    ['an asker of no known place: one tier', {}, { zone: 'b1', dc: 'b' }, 0],
    ['an asker of no known place, an endpoint of none', {}, {}, 0],
  ];
  for (const [what, asker, endpoint, tier] of rows) {
    it(`${what}: tier ${tier}`, () => {
      expect(tierOf(asker, endpoint)).toBe(tier);
    });
  }
});

describe('where attributes put an endpoint', () => {
  it('reads zone, else its alias az, and dc; empty values say nothing', () => {
    expect(placeOf({ zone: 'z', dc: 'd' })).toEqual({ zone: 'z', dc: 'd' });
    expect(placeOf({ az: 'z' })).toEqual({ zone: 'z' });
    expect(placeOf({ zone: 'z', az: 'other' })).toEqual({ zone: 'z' });
    expect(placeOf({ zone: '', az: 'z', dc: '' })).toEqual({ zone: 'z' });
    expect(placeOf({})).toEqual({});
    expect(placeOf(undefined)).toEqual({});
    expect(zoneOf({ az: 'us-east-1a' })).toBe('us-east-1a');
    expect(zoneOf({ role: 'x' })).toBeUndefined();
  });

  it("adds a host's zone and dc to what it provides, unless the stack file says them", () => {
    const place = { zone: 'a1', dc: 'a' };
    expect(withPlace({ role: 'x' }, place)).toEqual({ role: 'x', zone: 'a1', dc: 'a' });
    expect(withPlace({ zone: 'b1', dc: 'b' }, place)).toEqual({ zone: 'b1', dc: 'b' });
    expect(withPlace({ az: 'b1' }, place)).toEqual({ az: 'b1', dc: 'a' });
    expect(withPlace({}, { dc: 'a' })).toEqual({ dc: 'a' });
    expect(withPlace({ role: 'x' }, {})).toEqual({ role: 'x' });
    expect(withPlace({ role: 'x' }, undefined)).toEqual({ role: 'x' });
  });
});

describe('nearest first', () => {
  const endpoints: { host: string; attrs: Attributes }[] = [
    { host: 'h1', attrs: { zone: 'b1', dc: 'b' } },
    { host: 'h2', attrs: { dc: 'a' } },
    { host: 'h3', attrs: {} },
    { host: 'h4', attrs: { az: 'a1', dc: 'a' } },
    { host: 'h5', attrs: { zone: 'a2', dc: 'a' } },
    { host: 'h6', attrs: { zone: 'a1' } },
  ];
  const order = (asker: Place) => nearestFirst(asker, endpoints, (e) => e.attrs).map((e) => e.host);

  it('puts the same zone first, then the same dc, then the rest, each tier in the order given', () => {
    expect(order({ zone: 'a1', dc: 'a' })).toEqual(['h4', 'h6', 'h2', 'h5', 'h1', 'h3']);
    expect(order({ zone: 'b1', dc: 'b' })).toEqual(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
    expect(order({ dc: 'a' })).toEqual(['h2', 'h4', 'h5', 'h1', 'h3', 'h6']);
  });

  it('keeps the order given for an asker of no known place, as a copy', () => {
    const ordered = nearestFirst({}, endpoints, (e) => e.attrs);
    expect(ordered.map((e) => e.host)).toEqual(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
    expect(ordered).not.toBe(endpoints);
  });

  it('gives the same order for the same inputs', () => {
    expect(order({ zone: 'a1', dc: 'a' })).toEqual(order({ zone: 'a1', dc: 'a' }));
  });
});
