// The event ring's bounds (by count and by age), the name filter, and the text `scs events` prints.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, type EventInput, toWire, type WireEvent } from '../../src/events/event.ts';
import { formatEvent } from '../../src/events/format.ts';
import { eventMatches } from '../../src/events/match.ts';
import { EventRing, RING_AGE_MS, RING_EVENTS } from '../../src/events/ring.ts';
import { REASONS } from '../../src/reasons.ts';
import { EventFeed } from '../../src/server/event-feed.ts';
import { quietLogger } from '../helpers/logging.ts';

const added = (name: string): EventInput => ({ kind: 'endpoint-added', name, reason: 'provide', detail: '10.0.0.1:80/tcp' });
const T0 = Date.parse('2026-12-06T18:00:00.000Z');

describe('the event ring', () => {
  it('keeps the last 10,000 events and an hour of them by default', () => {
    const ring = new EventRing('s1');
    expect(ring.bounds).toEqual({ maxCount: RING_EVENTS, maxAgeMs: RING_AGE_MS });
    expect(RING_EVENTS).toBe(10_000);
    expect(RING_AGE_MS).toBe(3_600_000);
  });

  it('drops the oldest once it holds its count, numbering every event on', () => {
    const ring = new EventRing('s1', { maxCount: 3, maxAgeMs: 60_000 });
    for (let i = 1; i <= 5; i++) ring.record(added(`e${i}.web.shop.dev`), T0 + i);
    expect(ring.size).toBe(3);
    expect(ring.since(0, T0 + 5).map((e) => [e.seq, e.name])).toEqual([
      [3, 'e3.web.shop.dev'],
      [4, 'e4.web.shop.dev'],
      [5, 'e5.web.shop.dev'],
    ]);
    expect(ring.oldest(T0 + 5)).toBe(T0 + 3);
  });

  it('drops what is older than its age, when recording and when read', () => {
    const ring = new EventRing('s1', { maxCount: 100, maxAgeMs: 1000 });
    ring.record(added('a.web.shop.dev'), T0);
    ring.record(added('b.web.shop.dev'), T0 + 600);
    expect(ring.since(0, T0 + 1000).map((e) => e.name)).toEqual(['a.web.shop.dev', 'b.web.shop.dev']);
    // One millisecond past its hour (here, its second), the first goes, though nothing was recorded.
    expect(ring.since(0, T0 + 1001).map((e) => e.name)).toEqual(['b.web.shop.dev']);
    ring.record(added('c.web.shop.dev'), T0 + 1700);
    expect(ring.size).toBe(1);
    expect(ring.oldest(T0 + 5000)).toBeUndefined();
  });

  it('replays from a time on, the event at that very millisecond included', () => {
    const ring = new EventRing('s1', { maxCount: 10, maxAgeMs: 60_000 });
    for (let i = 0; i < 4; i++) ring.record(added(`e${i}.web.shop.dev`), T0 + i * 10);
    expect(ring.since(T0 + 10, T0 + 40).map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(ring.since(T0 + 31, T0 + 40)).toEqual([]);
  });

  it('stamps each event with its server, its number and its time', () => {
    const ring = new EventRing('srv', { maxCount: 10, maxAgeMs: 60_000 });
    expect(ring.record(added('a.web.shop.dev'), T0)).toEqual({ ...added('a.web.shop.dev'), seq: 1, at: T0, server: 'srv' });
  });
});

describe('the event filter', () => {
  it('matches names from the right, the labels a name lacks standing for "*" only', () => {
    const cases: Array<[string, string, boolean]> = [
      ['*.*.*.*', 'web.web.shop.dev', true],
      ['*.*.shop.dev', 'web.web.shop.dev', true],
      ['*.*.shop.dev', 'web.web.blog.dev', false],
      ['web.web.shop.dev', 'web.web.shop.dev', true],
      ['api.web.shop.dev', 'web.web.shop.dev', false],
      // A service's steps (service.stack.environment):
      ['*.*.shop.dev', 'web.shop.dev', true],
      ['*.web.shop.dev', 'web.shop.dev', true],
      ['http.web.shop.dev', 'web.shop.dev', false],
      ['*.*.blog.dev', 'web.shop.dev', false],
      // A disco server (its id): only every name selects it.
      ['*.*.*.*', 'Ab3_x-9', true],
      ['*.*.*.dev', 'Ab3_x-9', false],
    ];
    for (const [pattern, name, expected] of cases) expect([pattern, name, eventMatches(pattern, name)]).toEqual([pattern, name, expected]);
  });
});

describe('an event as text', () => {
  it('is one line: time, kind, name, reason, what happened, who caused it', () => {
    const event = (input: EventInput, seq: number) => toWire({ ...input, seq, at: T0 + seq, server: 'srv' });
    const lines = [
      event({ ...added('web.web.shop.dev'), client: 'shop-web' }, 1),
      event({ kind: 'endpoint-dropped', name: 'web.web.shop.dev', reason: 'heartbeat-timeout', detail: '10.0.0.1:80/tcp' }, 2),
      event(
        {
          kind: 'step',
          name: 'web.shop.dev',
          reason: 'config-changed',
          detail: 'create (replace: its configuration changed)',
          ok: true,
          client: 'scs-agent h1',
        },
        3,
      ),
      event(
        {
          kind: 'liveupdate',
          name: 'web.shop.dev',
          reason: 'endpoints-changed',
          detail: 'liveupdate db (db → 10.0.0.9:5432)\nexit 1',
          ok: false,
        },
        4,
      ),
      event({ kind: 'server-joined', name: 'srv', reason: 'started', detail: 'this disco server started' }, 5),
    ].map(formatEvent);
    expect(lines.join('\n')).toBe(
      [
        '2026-12-06T18:00:00.001Z endpoint-added web.web.shop.dev provide 10.0.0.1:80/tcp (client=shop-web)',
        '2026-12-06T18:00:00.002Z endpoint-dropped web.web.shop.dev heartbeat-timeout 10.0.0.1:80/tcp',
        '2026-12-06T18:00:00.003Z step web.shop.dev config-changed ok create (replace: its configuration changed) (client=scs-agent h1)',
        '2026-12-06T18:00:00.004Z liveupdate web.shop.dev endpoints-changed failed liveupdate db (db → 10.0.0.9:5432) exit 1',
        '2026-12-06T18:00:00.005Z server-joined srv started this disco server started',
      ].join('\n'),
    );
  });
});

describe('docs/observe.md', () => {
  it('lists every kind of event and every reason, with the sentence the code gives it, and no other', () => {
    const doc = readFileSync(new URL('../../docs/observe.md', import.meta.url), 'utf8');
    const rows = new Map([...doc.matchAll(/^\| `([a-z-]+)` +\| (.+?) +\|$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(Object.fromEntries(rows)).toEqual({ ...EVENT_KINDS, ...REASONS });
  });
});

describe('the event feed, for another transport', () => {
  it('replays what it keeps, then gives each new event once its turn is over, and cuts a reader that falls behind', async () => {
    const feed = new EventFeed('srv', quietLogger);
    feed.record(added('a.web.shop.dev'));
    const got: string[] = [];
    const cut: string[] = [];
    const reader = {
      open: true,
      behind: false,
      send: (event: WireEvent) => void got.push(event.name),
      cut: (why: string) => void cut.push(why),
    };
    const { replay, stop } = feed.watch('*.*.shop.dev', 0, reader);
    expect(replay.map((event) => event.name)).toEqual(['a.web.shop.dev']);
    feed.record(added('b.web.shop.dev'));
    feed.record(added('c.web.blog.dev'));
    expect(got).toEqual([]); // Not within the turn that recorded it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual(['b.web.shop.dev']);
    reader.behind = true;
    feed.record(added('d.web.shop.dev'));
    feed.flush();
    expect(got).toEqual(['b.web.shop.dev']);
    expect(cut).toEqual([expect.stringMatching(/read too slowly/)]);
    expect(feed.followerCount).toBe(0);
    stop();
  });
});
