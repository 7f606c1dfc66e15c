import { describe, expect, it } from 'vitest';
import { type Endpoint, sortEndpoints } from '../../src/client/view.ts';
import { type PushPart, WatchView } from '../../src/client/watch-view.ts';

const NAME = 'mysql.db.blog.prod';
const ep = (id: string, host: string): Endpoint => ({ id, name: NAME, host, port: 3306, protocol: 'tcp', attrs: {} });
const hosts = (endpoints: readonly Endpoint[]) => endpoints.map((e) => e.host);
const changed = (seq: number, add: Endpoint[], drop: Endpoint[] = [], more?: boolean): PushPart => ({
  op: 'changed',
  sub: 'r1',
  seq,
  add,
  drop,
  more,
});
const resync = (seq: number, endpoints: Endpoint[], more?: boolean): PushPart => ({ op: 'resync', sub: 'r1', seq, endpoints, more });

/** A view synced on its first snapshot of `endpoints`. */
function synced(...endpoints: Endpoint[]): WatchView {
  const view = new WatchView();
  view.snapshot({ sub: 'r1', seq: 0, endpoints }, 0, 1000);
  return view;
}

describe('a watch view: snapshots', () => {
  it('tells nothing of the first snapshot; the caller hands it over whole', () => {
    const view = new WatchView();
    expect(view.snapshot({ sub: 'r1', seq: 3, endpoints: [ep('p2', '10.0.0.6'), ep('p1', '10.0.0.5')] }, 0, 1000)).toEqual({
      add: [],
      drop: [],
    });
    expect(hosts(view.endpoints)).toEqual(['10.0.0.5', '10.0.0.6']);
    expect(view.sub).toBe('r1');
    expect(view.seq).toBe(3);
  });

  it('tells a later snapshot as the difference, by what endpoints are', () => {
    const view = synced(ep('p1', '10.0.0.5'), ep('p2', '10.0.0.6'));
    const change = view.snapshot({ sub: 'r1', seq: 0, endpoints: [ep('p9', '10.0.0.5'), ep('p3', '10.0.0.7')] }, 0, 1000);
    expect(hosts(change.add)).toEqual(['10.0.0.7']);
    expect(hosts(change.drop)).toEqual(['10.0.0.6']);
  });

  it('keeps the newer seq when a resumed subscription has already seen replayed pushes', () => {
    const view = synced();
    view.push(changed(5, [ep('p1', '10.0.0.5')]));
    view.snapshot({ sub: 'r1', seq: 2, endpoints: [ep('p1', '10.0.0.5')] }, 0, 1000);
    expect(view.seq).toBe(5);
    expect(view.push(changed(4, [ep('p4', '10.0.0.9')])).change).toEqual({ add: [], drop: [] });
  });

  it('takes the snapshot seq of a new subscription, even if lower', () => {
    const view = synced();
    view.push(changed(5, [ep('p1', '10.0.0.5')]));
    view.sessionLost();
    view.snapshot({ sub: 'r7', seq: 0, endpoints: [ep('p1', '10.0.0.5')] }, 0, 1000);
    expect(view.seq).toBe(0);
    expect(view.sub).toBe('r7');
    expect(hosts(view.push({ ...changed(1, [ep('p2', '10.0.0.6')]), sub: 'r7' }).change.add)).toEqual(['10.0.0.6']);
  });
});

describe('a watch view: pushes', () => {
  it('applies a change and asks for its ack', () => {
    const view = synced(ep('p1', '10.0.0.5'));
    const outcome = view.push(changed(1, [ep('p2', '10.0.0.6')], [ep('p1', '10.0.0.5')]));
    expect(outcome.ack).toBe(1);
    expect(hosts(outcome.change.add)).toEqual(['10.0.0.6']);
    expect(hosts(outcome.change.drop)).toEqual(['10.0.0.5']);
    expect(hosts(view.endpoints)).toEqual(['10.0.0.6']);
  });

  it('skips replays by seq, and still acks them', () => {
    const view = synced();
    view.push(changed(1, [ep('p1', '10.0.0.5')]));
    view.push(changed(2, [], [ep('p1', '10.0.0.5')]));
    const replay = view.push(changed(1, [ep('p1', '10.0.0.5')]));
    expect(replay).toEqual({ ack: 1, change: { add: [], drop: [] } });
    expect(view.endpoints).toEqual([]);
    expect(view.seq).toBe(2);
  });

  it('joins a push in parts and applies it once, on the last part, acking only then', () => {
    const view = synced();
    expect(view.push(changed(1, [ep('p1', '10.0.0.5')], [], true))).toEqual({ ack: undefined, change: { add: [], drop: [] } });
    expect(view.push(changed(1, [ep('p2', '10.0.0.6')], [], true)).ack).toBeUndefined();
    expect(view.endpoints).toEqual([]);
    const last = view.push(changed(1, [ep('p3', '10.0.0.7')]));
    expect(last.ack).toBe(1);
    expect(hosts(last.change.add)).toEqual(['10.0.0.5', '10.0.0.6', '10.0.0.7']);
    expect(view.seq).toBe(1);
  });

  it('drops an unfinished push when a part of another seq comes instead', () => {
    const view = synced();
    view.push(changed(1, [ep('p1', '10.0.0.5')], [], true));
    const next = view.push(changed(2, [ep('p2', '10.0.0.6')]));
    expect(hosts(next.change.add)).toEqual(['10.0.0.6']);
  });

  it('drops an unfinished push when a part of another kind comes instead, at the same seq', () => {
    const view = synced(ep('p1', '10.0.0.5'));
    view.push(changed(3, [ep('p2', '10.0.0.6')], [], true));
    const next = view.push(resync(3, [ep('p3', '10.0.0.7')]));
    expect(hosts(next.change.add)).toEqual(['10.0.0.7']);
    expect(hosts(view.endpoints)).toEqual(['10.0.0.7']);
  });

  it('keeps joining a push across a snapshot of the same subscription, and not across one of a new subscription', () => {
    const same = synced();
    same.push(changed(3, [ep('p1', '10.0.0.5')], [], true));
    same.snapshot({ sub: 'r1', seq: 2, endpoints: [] }, 0, 500);
    expect(hosts(same.push(changed(3, [ep('p2', '10.0.0.6')])).change.add)).toEqual(['10.0.0.5', '10.0.0.6']);

    const renewed = synced();
    renewed.push(changed(3, [ep('p1', '10.0.0.5')], [], true));
    // The server forgot r1 and the watch was required again: r2 numbers its pushes afresh.
    renewed.snapshot({ sub: 'r2', seq: 2, endpoints: [] }, 0, 500);
    expect(hosts(renewed.push({ ...changed(3, [ep('p2', '10.0.0.6')]), sub: 'r2' }).change.add)).toEqual(['10.0.0.6']);
  });

  it('replaces the view by a resync, telling only the difference by id', () => {
    const view = synced(ep('p1', '10.0.0.5'), ep('p2', '10.0.0.6'));
    const outcome = view.push(resync(7, [ep('p2', '10.0.0.6'), ep('p3', '10.0.0.7')]));
    expect(outcome.ack).toBe(7);
    expect(hosts(outcome.change.add)).toEqual(['10.0.0.7']);
    expect(hosts(outcome.change.drop)).toEqual(['10.0.0.5']);
    expect(hosts(view.endpoints)).toEqual(['10.0.0.6', '10.0.0.7']);
    expect(view.seq).toBe(7);
  });

  it('joins a resync in parts, and ignores one no newer than what was applied', () => {
    const view = synced(ep('p1', '10.0.0.5'));
    view.push(changed(4, [ep('p2', '10.0.0.6')]));
    expect(view.push(resync(4, []))).toEqual({ ack: 4, change: { add: [], drop: [] } });
    expect(view.push(resync(5, [ep('p1', '10.0.0.5')], true)).ack).toBeUndefined();
    const last = view.push(resync(5, [ep('p3', '10.0.0.7')]));
    expect(last.ack).toBe(5);
    expect(hosts(last.change.add)).toEqual(['10.0.0.7']);
    expect(hosts(last.change.drop)).toEqual(['10.0.0.6']);
  });
});

describe('a watch view: settling after a server restart', () => {
  it('holds an endpoint missing from the first snapshot of a new session for the grace', () => {
    const view = synced(ep('p1', '10.0.0.5'), ep('p2', '10.0.0.6'));
    view.sessionLost();
    expect(view.sub).toBeUndefined();
    const change = view.snapshot({ sub: 'r9', seq: 0, endpoints: [ep('q1', '10.0.0.5')] }, 1000, 500);
    expect(change).toEqual({ add: [], drop: [] });
    expect(hosts(view.endpoints)).toEqual(['10.0.0.5', '10.0.0.6']); // Still shown while in limbo.
    expect(view.nextDeadline()).toBe(1500);
    expect(view.expire(1499)).toEqual({ add: [], drop: [] });
    expect(hosts(view.expire(1500).drop)).toEqual(['10.0.0.6']);
    expect(hosts(view.endpoints)).toEqual(['10.0.0.5']);
    expect(view.nextDeadline()).toBeUndefined();
  });

  it('tells nothing of an endpoint that comes back within the grace, by a push', () => {
    const view = synced(ep('p1', '10.0.0.5'), ep('p2', '10.0.0.6'));
    view.sessionLost();
    view.snapshot({ sub: 'r9', seq: 0, endpoints: [ep('q1', '10.0.0.5')] }, 0, 500);
    const back = view.push({ ...changed(1, [ep('q2', '10.0.0.6')]), sub: 'r9' });
    expect(back).toEqual({ ack: 1, change: { add: [], drop: [] } });
    expect(view.expire(10_000)).toEqual({ add: [], drop: [] });
    expect(view.endpoints.map((e) => e.id)).toEqual(['q1', 'q2']);
  });

  it('tells nothing of an endpoint that comes back within the grace, by a resync', () => {
    const view = synced(ep('p1', '10.0.0.5'), ep('p2', '10.0.0.6'));
    view.sessionLost();
    view.snapshot({ sub: 'r9', seq: 0, endpoints: [ep('q1', '10.0.0.5')] }, 0, 500);
    const outcome = view.push({ ...resync(3, [ep('q1', '10.0.0.5'), ep('q2', '10.0.0.6'), ep('q3', '10.0.0.7')]), sub: 'r9' });
    expect(hosts(outcome.change.add)).toEqual(['10.0.0.7']);
    expect(view.expire(10_000)).toEqual({ add: [], drop: [] });
  });

  it('does not settle on a view that never had a snapshot, nor after the first snapshot of the session', () => {
    const fresh = new WatchView();
    fresh.sessionLost();
    expect(fresh.snapshot({ sub: 'r1', seq: 0, endpoints: [] }, 0, 500)).toEqual({ add: [], drop: [] });
    expect(fresh.nextDeadline()).toBeUndefined();

    const view = synced(ep('p1', '10.0.0.5'), ep('p2', '10.0.0.6'));
    view.sessionLost();
    view.snapshot({ sub: 'r9', seq: 0, endpoints: [ep('q1', '10.0.0.5'), ep('q2', '10.0.0.6')] }, 0, 500);
    // A second snapshot in the same session is ordinary again: its drops are told at once.
    const change = view.snapshot({ sub: 'r9', seq: 0, endpoints: [ep('q1', '10.0.0.5')] }, 0, 500);
    expect(hosts(change.drop)).toEqual(['10.0.0.6']);
    expect(view.nextDeadline()).toBeUndefined();
  });

  it('tells the adds of a settling snapshot that are new', () => {
    const view = synced(ep('p1', '10.0.0.5'));
    view.sessionLost();
    const change = view.snapshot({ sub: 'r9', seq: 0, endpoints: [ep('q1', '10.0.0.5'), ep('q2', '10.0.0.8')] }, 0, 500);
    expect(hosts(change.add)).toEqual(['10.0.0.8']);
    expect(change.drop).toEqual([]);
  });

  it('keeps each held endpoint to its own deadline across a second restart', () => {
    const view = synced(ep('p1', '10.0.0.5'), ep('p2', '10.0.0.6'));
    view.sessionLost();
    view.snapshot({ sub: 'r2', seq: 0, endpoints: [ep('q1', '10.0.0.5')] }, 0, 500);
    view.sessionLost();
    view.snapshot({ sub: 'r3', seq: 0, endpoints: [] }, 200, 500);
    expect(view.nextDeadline()).toBe(500);
    expect(hosts(view.expire(500).drop)).toEqual(['10.0.0.6']);
    expect(hosts(view.expire(700).drop)).toEqual(['10.0.0.5']);
  });

  it('forgets a push half received when the session is lost', () => {
    const view = synced();
    view.push(changed(1, [ep('p1', '10.0.0.5')], [], true));
    view.sessionLost();
    view.snapshot({ sub: 'r1', seq: 0, endpoints: [] }, 0, 500);
    expect(hosts(view.push(changed(1, [ep('p2', '10.0.0.6')])).change.add)).toEqual(['10.0.0.6']);
  });
});

describe('the order endpoints are told in', () => {
  it('is name, then address, then id, as the registry orders them', () => {
    const at = (id: string, name: string, host: string, port = 3306): Endpoint => ({ ...ep(id, host), name, port });
    const sorted = sortEndpoints([
      at('p5', 'web.b.c', '10.0.0.1'),
      at('p4', NAME, '10.0.0.2'),
      at('p3', NAME, '10.0.0.1', 3307),
      at('p2', NAME, '10.0.0.1'),
      at('p1', NAME, '10.0.0.1'),
    ]);
    expect(sorted.map((e) => `${e.name} ${e.host}:${e.port} ${e.id}`)).toEqual([
      `${NAME} 10.0.0.1:3306 p1`,
      `${NAME} 10.0.0.1:3306 p2`,
      `${NAME} 10.0.0.1:3307 p3`,
      `${NAME} 10.0.0.2:3306 p4`,
      'web.b.c 10.0.0.1:3306 p5',
    ]);
    expect(sortEndpoints(sorted.slice().reverse())).toEqual(sorted);
    expect(sortEndpoints(sorted)).toEqual(sorted);
  });
});
