// A session handed down from a predecessor: its keys claimed by equal specs, new keys past the old
// ones, and what is not claimed left to release.

import { describe, expect, it } from 'vitest';
import { Inheritance, provideIdentity, requireIdentity } from '../../src/client/inherited.ts';

const web = { name: 'http.web.hello.dev', host: '10.0.0.5', port: 8080, attrs: { az: 'a', zone: 'b' } };

describe('an inherited session', () => {
  it('gives the key of an equal spec once, whatever the order of its attributes, and tcp when no protocol is said', () => {
    const inherited = new Inheritance({
      session: 's1',
      provisions: { p3: { ...web, protocol: 'tcp' }, p7: web },
      watches: { r4: { name: 'http.web.hello.dev' } },
    });
    expect(inherited.session).toBe('s1');
    expect(inherited.claimProvision({ ...web, attrs: { zone: 'b', az: 'a' } })).toBe('p3');
    expect(inherited.claimProvision(web)).toBe('p7');
    expect(inherited.claimProvision(web)).toBeUndefined();
    expect(inherited.claimProvision({ ...web, port: 8081 })).toBeUndefined();
    expect(inherited.claimWatch({ name: 'http.web.hello.dev', attrs: {} })).toBe('r4');
    expect(inherited.claimWatch({ name: 'http.web.hello.dev' })).toBeUndefined();
    expect([...inherited.unclaimed.provisions.keys(), ...inherited.unclaimed.watches.keys()]).toEqual([]);
  });

  it('numbers new keys past every inherited one, and keeps what is not claimed until it is forgotten', () => {
    const inherited = new Inheritance({ session: 's1', provisions: { p12: web, x: web }, watches: { r30: { name: 'a' } } });
    expect(inherited.firstKey).toBe(31);
    expect(new Inheritance().firstKey).toBe(1);
    expect(new Inheritance().session).toBeUndefined();
    expect(inherited.claimWatch({ name: 'b' })).toBeUndefined();
    expect([...inherited.unclaimed.watches.keys()]).toEqual(['r30']);
    inherited.forget('r30');
    inherited.forget('p12');
    expect([...inherited.unclaimed.watches.keys()]).toEqual([]);
    expect([...inherited.unclaimed.provisions.keys()]).toEqual(['x']);
  });

  it('tells specs apart by each of their parts', () => {
    const base = provideIdentity(web);
    for (const other of [
      { ...web, name: 'x' },
      { ...web, host: 'h' },
      { ...web, protocol: 'udp' as const },
      { ...web, attrs: { az: 'a' } },
    ]) {
      expect(provideIdentity(other)).not.toBe(base);
    }
    expect(requireIdentity({ name: 'a', attrs: { k: 'v' } })).not.toBe(requireIdentity({ name: 'a' }));
  });
});
