import { describe, expect, it } from 'vitest';
import { nearestFirst, type Place, placeOf, type Tier, tierOf, zoneOf } from '../../src/registry/nearest.ts';

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
});

describe('nearest first', () => {
  const endpoints = [
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
