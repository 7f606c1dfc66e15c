// Issue 8 item 3: a name whose last record went a moment ago answers NODATA, not NXDOMAIN, for a
// bounded time; and every negative answer carries the short negative TTL. Pure parts only: the
// tombstones are told the time, the answerer is told which names are held.

import { describe, expect, it } from 'vitest';
import { answer, recordsOf } from '../../src/dns/answer.ts';
import { RCODE, TYPE } from '../../src/dns/constants.ts';
import { namesTouchedBy } from '../../src/dns/owners.ts';
import { Tombstones } from '../../src/dns/tombstones.ts';
import { buildZoneView } from '../../src/dns/view.ts';
import { makeZone } from '../../src/dns/zones.ts';
import { sampleRegistry } from '../helpers/dns.ts';

describe('Tombstones', () => {
  it('holds a buried name until the bound has passed, and not a moment longer', () => {
    const tombstones = new Tombstones({ holdMs: 30_000 });
    tombstones.bury(['db.blog.prod'], 1000);
    expect(tombstones.holds('db.blog.prod', 1000)).toBe(true);
    expect(tombstones.holds('db.blog.prod', 30_999)).toBe(true);
    expect(tombstones.holds('db.blog.prod', 31_000)).toBe(false);
    expect(tombstones.holds('web.blog.prod', 1000)).toBe(false);
  });

  it('counts the bound from the last time a name was buried', () => {
    const tombstones = new Tombstones({ holdMs: 100 });
    tombstones.bury(['a', 'b'], 0);
    tombstones.bury(['a'], 80);
    expect(tombstones.nextExpiry).toBe(100); // b's, now the first in line
    expect(tombstones.sweep(150)).toEqual(['b']);
    expect(tombstones.holds('a', 150)).toBe(true);
    expect(tombstones.nextExpiry).toBe(180);
    expect(tombstones.sweep(179)).toEqual([]);
    expect(tombstones.sweep(180)).toEqual(['a']);
    expect(tombstones.size).toBe(0);
    expect(tombstones.nextExpiry).toBe(Number.POSITIVE_INFINITY);
  });

  it('sweeps only what has expired, oldest first', () => {
    const tombstones = new Tombstones({ holdMs: 10 });
    tombstones.bury(['x'], 0);
    tombstones.bury(['y', 'z'], 5);
    expect(tombstones.sweep(14)).toEqual(['x']);
    expect(tombstones.sweep(20)).toEqual(['y', 'z']);
  });

  it('holds nothing with a bound of 0', () => {
    const tombstones = new Tombstones({ holdMs: 0 });
    tombstones.bury(['a'], 0);
    expect(tombstones.holds('a', 0)).toBe(false);
    expect(tombstones.size).toBe(0);
  });

  it('forgets the names buried longest ago past its capacity', () => {
    const tombstones = new Tombstones({ holdMs: 1000, capacity: 2 });
    tombstones.bury(['a', 'b', 'c'], 0);
    expect(['a', 'b', 'c'].map((name) => tombstones.holds(name, 1))).toEqual([false, true, true]);
    expect(tombstones.size).toBe(2);
  });
});

describe('Tombstones under a mass goodbye (issue 26 §6)', () => {
  // 100 sessions × 1,000 provisions saying bye left disco serving nothing for 47 s: a Map used as a
  // queue walks every hole its front deletions left. The work is counted here, not timed.
  const provisionsOf = (sessions: number, each: number) => {
    const touched: Set<string>[] = [];
    for (let session = 0; session < sessions; session++) {
      for (let at = 0; at < each; at++) {
        const name = `e${at}.s${session}.mass.prod`;
        const address = { host: `10.${session}.${at >> 8}.${at & 255}`, port: 80, protocol: 'tcp' as const };
        touched.push(namesTouchedBy({ id: `${session}-${at}`, name, address, attributes: {}, owner: `s${session}` }));
      }
    }
    return touched;
  };

  it('buries 100,000 provisions past its capacity in a few steps per name', () => {
    const tombstones = new Tombstones({ holdMs: 30_000, capacity: 100_000 });
    let names = 0;
    for (const touched of provisionsOf(100, 1000)) {
      names += touched.size;
      tombstones.bury(touched, 1000);
    }
    // Forgotten for room half the capacity at a time: at least half of it is kept, never more than it.
    expect(tombstones.size).toBeGreaterThanOrEqual(50_000);
    expect(tombstones.size).toBeLessThanOrEqual(100_000);
    expect(tombstones.steps).toBeLessThanOrEqual(4 * names);
    // The names kept are the last buried, and they still expire together.
    expect(tombstones.holds('10-99-3-231-80._e999._tcp.s99.mass.prod', 1001)).toBe(true);
    expect(tombstones.holds('10-0-0-0-80._e0._tcp.s0.mass.prod', 1001)).toBe(false);
    expect(tombstones.nextExpiry).toBe(31_000);
    const before = tombstones.steps;
    // Each name held once, though `size` counts twice one buried again since its generation turned over.
    const swept = tombstones.sweep(31_000);
    expect(swept.length).toBeGreaterThanOrEqual(50_000);
    expect(new Set(swept).size).toBe(swept.length);
    expect(tombstones.steps - before).toBeLessThanOrEqual(4 * names);
    expect(tombstones.size).toBe(0);
  });

  it('keeps a name buried again and again to one entry, its queue bounded', () => {
    const tombstones = new Tombstones({ holdMs: 100, capacity: 10 });
    for (let now = 0; now < 100_000; now++) tombstones.bury(['prod', ''], now);
    expect(tombstones.size).toBe(2);
    expect(tombstones.steps).toBeLessThanOrEqual(4 * 200_000);
    expect(tombstones.nextExpiry).toBe(100_099);
    expect(tombstones.sweep(100_098)).toEqual([]);
    expect(tombstones.sweep(100_099).sort()).toEqual(['', 'prod']);
  });
});

describe('answers for names that lost their last record', () => {
  // The zone is set up inside each test, not once for the file: mutation testing then knows which
  // test reaches the code that builds it (docs/testing.md, "Static mutants").
  const afterWebDropped = () => {
    const registry = sampleRegistry();
    const web = registry.list().find((provision) => provision.name === 'http.web.blog.prod')!;
    const buried = namesTouchedBy(web);
    registry.drop(web.id);
    return { buried, view: buildZoneView(makeZone({ name: 'disco' }), registry.list(), { nameServerAddresses: [] }) };
  };
  const ask = (name: string, type: number, gone?: (name: string) => boolean) => {
    const { buried, view } = afterWebDropped();
    const recentlyGone = gone ?? ((n: string) => buried.has(n));
    return answer({ view, relative: name ? name.split('.') : [], type, ttl: 5, negativeTtl: 1, serial: 7, recentlyGone });
  };

  it('buries every name the provision had records at, and the empty non-terminals above them', () => {
    const { buried } = afterWebDropped();
    expect([...buried].sort()).toEqual(
      [
        '',
        '_dns-sd._udp',
        '_http._tcp.web.blog.prod',
        '_services._dns-sd._udp',
        '_tcp.web.blog.prod',
        '_udp',
        '10-0-0-9-8080._http._tcp.web.blog.prod',
        '10-0-0-9.addr',
        'addr',
        'blog.prod',
        'prod',
        'web.blog.prod',
      ].sort(),
    );
  });

  it.each([
    ['web.blog.prod', TYPE.A],
    ['web.blog.prod', TYPE.AAAA],
    ['_http._tcp.web.blog.prod', TYPE.SRV],
    ['_http._tcp.web.blog.prod', TYPE.TXT],
    ['_http._tcp.web.blog.prod', TYPE.PTR],
    ['10-0-0-9-8080._http._tcp.web.blog.prod', TYPE.SRV],
    ['10-0-0-9.addr', TYPE.A],
    ['_tcp.web.blog.prod', TYPE.ANY],
  ])('%s (type %i) answers NODATA with the short negative TTL while held', (name, type) => {
    expect(ask(name, type)).toMatchObject({
      rcode: RCODE.noError,
      answers: [],
      authorities: [{ name: 'disco.', type: TYPE.SOA, ttl: 1, minimum: 1, serial: 7 }],
      additionals: [],
    });
  });

  it('answers NXDOMAIN once the name is no longer held', () => {
    expect(ask('web.blog.prod', TYPE.A, () => false).rcode).toBe(RCODE.nxDomain);
    expect(ask('10-0-0-9.addr', TYPE.A, () => false).rcode).toBe(RCODE.nxDomain);
  });

  it('never holds a name below a held one, nor one that never existed', () => {
    expect(ask('x.web.blog.prod', TYPE.A).rcode).toBe(RCODE.nxDomain);
    expect(ask('cache.blog.prod', TYPE.A).rcode).toBe(RCODE.nxDomain);
  });

  it('answers names that exist as ever, whether held or not', () => {
    const all = () => true;
    expect(recordsOf(ask('db.blog.prod', TYPE.A, all).answers).map((rr) => rr.address)).toEqual(['10.0.0.5', '10.0.0.6']);
    expect(recordsOf(ask('_services._dns-sd._udp', TYPE.PTR, all).answers).map((rr) => rr.domain)).toEqual([
      '_mysql._tcp.db.blog.prod.disco.',
    ]);
  });
});

describe('the negative TTL', () => {
  const ask = (name: string, type: number, ttl: number, negativeTtl?: number) => {
    const view = buildZoneView(makeZone({ name: 'disco' }), sampleRegistry().list(), { nameServerAddresses: [] });
    return answer({ view, relative: name ? name.split('.') : [], type, ttl, negativeTtl, serial: 7 });
  };

  it('is the SOA minimum and the TTL of the SOA in NXDOMAIN and NODATA', () => {
    expect(ask('nothing', TYPE.A, 5, 1).authorities).toMatchObject([{ ttl: 1, minimum: 1 }]);
    expect(ask('blog.prod', TYPE.A, 5, 1).authorities).toMatchObject([{ ttl: 1, minimum: 1 }]);
  });

  it('leaves positive TTLs alone, the SOA answered at the apex included', () => {
    expect(recordsOf(ask('db.blog.prod', TYPE.A, 5, 1).answers).map((rr) => rr.ttl)).toEqual([5, 5]);
    expect(ask('', TYPE.SOA, 5, 1).answers).toMatchObject([{ ttl: 5, minimum: 1 }]);
  });

  it('is never longer than the TTL of answers', () => {
    expect(ask('nothing', TYPE.A, 2, 10).authorities).toMatchObject([{ ttl: 2 }]);
  });

  it('is the TTL of answers when not told', () => {
    expect(ask('nothing', TYPE.A, 5).authorities).toMatchObject([{ ttl: 5, minimum: 5 }]);
  });
});
