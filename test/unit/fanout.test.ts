import { consola } from 'consola';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.ts';
import { FanOut } from '../../src/server/fanout.ts';
import { Session } from '../../src/server/session.ts';
import { closePairs, connectionPair } from '../helpers/connection-pair.ts';
import { eventually } from '../helpers/wait.ts';

const quiet = consola.create({ level: -999 });

/** A registry, a fan-out and one subscribed session with no connection (in its grace, say). */
function setUp(maxUnacked: number, maxUnackedBytes = 1 << 30) {
  const registry = new Registry();
  const fanOut = new FanOut(registry, { maxUnacked, maxUnackedBytes, logger: quiet });
  const session = new Session('s1', 'test');
  const { requirement } = registry.require({ name: 'web.front.shop', filter: {}, owner: session.id });
  const subscription = fanOut.subscribe(session, requirement.id);
  const provide = (port: number) => {
    const { provision, changes } = registry.provide({
      name: 'web.front.shop',
      address: { host: '10.0.0.1', port, protocol: 'tcp' },
      attributes: {},
      owner: 'p',
    });
    fanOut.publish(changes);
    return provision;
  };
  return { registry, fanOut, session, subscription, provide };
}

describe('fan-out bookkeeping', () => {
  it('keeps each push until it is acknowledged, counting pushes and bytes', () => {
    const { session, subscription, provide } = setUp(100);
    for (let port = 1; port <= 3; port++) provide(port);
    expect(subscription.unacked.map((push) => push.seq)).toEqual([1, 2, 3]);
    expect(session.unackedCount).toBe(3);
    const bytes = session.unackedBytes;
    expect(bytes).toBe(subscription.unacked.reduce((sum, push) => sum + push.lines.length, 0));
    session.acknowledge(subscription.id, 2);
    expect(subscription.unacked.map((push) => push.seq)).toEqual([3]);
    expect(session.unackedCount).toBe(1);
    expect(session.unackedBytes).toBe(subscription.unacked[0]!.lines.length);
  });

  it('collapses past maxUnacked: the pushes are forgotten and the subscription owes a resync', () => {
    const { session, subscription, provide } = setUp(5);
    for (let port = 1; port <= 6; port++) provide(port);
    expect(subscription.owesResync).toBe(true);
    expect(subscription.unacked).toEqual([]);
    expect(session.unackedCount).toBe(0);
    expect(session.unackedBytes).toBe(0);
    provide(7); // Owing a resync already: nothing more is kept.
    expect(subscription.unacked).toEqual([]);
  });

  it('collapses past maxUnackedBytes too', () => {
    const { subscription, provide } = setUp(1000, 500);
    for (let port = 1; port <= 6; port++) provide(port);
    expect(subscription.owesResync).toBe(true);
  });

  it('collapses only past maxUnackedBytes, not at it', () => {
    const probe = setUp(1000);
    probe.provide(1);
    const onePush = probe.session.unackedBytes;
    // Pushes for ports 1 to 9 are all the same size: two fill the budget exactly.
    const { subscription, provide } = setUp(1000, 2 * onePush);
    provide(1);
    provide(2);
    expect(subscription.owesResync).toBe(false);
    provide(3);
    expect(subscription.owesResync).toBe(true);
  });

  it('forgets what an ended subscription was owed', () => {
    const { fanOut, session, subscription, provide } = setUp(100);
    provide(1);
    fanOut.unsubscribe(session, subscription.id);
    expect(session.unackedCount).toBe(0);
    expect(session.subscriptions.size).toBe(0);
  });
});

// With a real connection (a loopback socket pair): what the peer is sent, and what waits while the
// connection is backlogged. maxQueueBytes 0 backlogs a connection at its first write, and it stays
// backlogged until stalledFor sees its bytes gone.
describe('fan-out to a connection', () => {
  afterEach(closePairs);

  /** Two subscriptions of one session, to two names, on a real connection. */
  async function subscribed(maxQueueBytes: number, maxUnacked = 100) {
    const debug: string[] = [];
    const logger = consola.create({
      level: 5,
      reporters: [{ log: (entry) => void (entry.type === 'debug' && debug.push(entry.args.join(' '))) }],
    });
    const registry = new Registry();
    const fanOut = new FanOut(registry, { maxUnacked, maxUnackedBytes: 1 << 30, logger });
    const session = new Session('s1', 'web-1');
    const pair = await connectionPair({ maxQueueBytes, maxLineBytes: 1 << 16 });
    session.connection = pair.connection;
    const subscriptions = ['web.front.shop', 'db.front.shop'].map((name) =>
      fanOut.subscribe(session, registry.require({ name, filter: {}, owner: session.id }).requirement.id),
    );
    const provide = (name: string, port: number) =>
      fanOut.publish(registry.provide({ name, address: { host: '10.0.0.1', port, protocol: 'tcp' }, attributes: {}, owner: 'p' }).changes);
    const ops = () =>
      pair
        .received()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { op: string; sub: string; seq: number });
    return { fanOut, session, subscriptions, provide, ops, debug, ...pair };
  }

  it('sends each change as a push to the peer', async () => {
    const { subscriptions, provide, ops } = await subscribed(1 << 20);
    provide('web.front.shop', 1);
    provide('db.front.shop', 2);
    await eventually(() => ops().length === 2);
    expect(ops().map(({ op, sub, seq }) => [op, sub, seq])).toEqual([
      ['changed', subscriptions[0]!.id, 1],
      ['changed', subscriptions[1]!.id, 1],
    ]);
  });

  it('sends nothing to a backlogged connection: the subscription owes a resync, and a flush sends it once the peer reads', async () => {
    const { fanOut, session, subscriptions, provide, ops, connection } = await subscribed(0);
    provide('web.front.shop', 1); // sent, and the connection is backlogged by it
    expect(connection.backlogged).toBe(true);
    provide('web.front.shop', 2);
    provide('web.front.shop', 3);
    expect(subscriptions[0]!.owesResync).toBe(true);
    expect(subscriptions[0]!.unacked).toEqual([]); // the push it was sent is forgotten too: the resync replaces it
    await eventually(() => ops().length === 1);
    await eventually(() => connection.stalledFor(Date.now()) === 0 && !connection.backlogged);
    fanOut.flush(session);
    await eventually(() => ops().length === 2);
    const resync = ops()[1] as { op: string; sub: string; seq: number; endpoints: Array<{ port: number }> };
    expect([resync.op, resync.sub, resync.seq]).toEqual(['resync', subscriptions[0]!.id, 2]);
    expect(resync.endpoints.map((endpoint) => endpoint.port)).toEqual([1, 2, 3]);
    expect(subscriptions[0]!.owesResync).toBe(false);
    // The resync was all it owed: the next change is a push again.
    await eventually(() => connection.stalledFor(Date.now()) === 0 && !connection.backlogged);
    provide('web.front.shop', 4);
    await eventually(() => ops().length === 3);
    expect(ops()[2]!.op).toBe('changed');
  });

  it('flushes only the subscriptions that owe a resync, and stops when the connection backs up again', async () => {
    const { fanOut, session, subscriptions, ops, connection } = await subscribed(0);
    const [web, db] = subscriptions as [(typeof subscriptions)[0], (typeof subscriptions)[0]];
    session.owe(web);
    fanOut.flush(session);
    expect(connection.backlogged).toBe(true);
    await eventually(() => ops().length === 1);
    expect(ops()[0]!.sub).toBe(web.id);
    expect(db.seq).toBe(0);

    session.owe(web);
    session.owe(db);
    fanOut.flush(session); // backlogged still: nothing
    expect([web.seq, db.seq]).toEqual([1, 0]);
    await eventually(() => connection.stalledFor(Date.now()) === 0 && !connection.backlogged);
    fanOut.flush(session); // web's resync backs it up again: db waits for the next flush
    expect([web.seq, db.seq, web.owesResync, db.owesResync]).toEqual([2, 0, false, true]);
  });

  it('keeps a resync until it is acknowledged, without counting it against the limits', async () => {
    const { fanOut, session, subscriptions, provide } = await subscribed(1 << 20);
    const [web] = subscriptions as [(typeof subscriptions)[0]];
    provide('web.front.shop', 1);
    session.owe(web);
    fanOut.flush(session);
    expect(web.unacked.map((push) => [push.seq, push.resync])).toEqual([[2, true]]);
    expect(session.unackedCount).toBe(0);
    expect(session.unackedBytes).toBe(0);
  });

  it('flushes nothing to a subscription that owes nothing', async () => {
    const { fanOut, session, subscriptions, ops } = await subscribed(1 << 20);
    session.owe(subscriptions[1]!);
    fanOut.flush(session);
    await eventually(() => ops().length === 1);
    expect(ops()[0]!.sub).toBe(subscriptions[1]!.id);
    expect(subscriptions[0]!.seq).toBe(0);
  });

  it('says in the debug log which session owes too many acks when its pushes collapse', async () => {
    const { provide, debug, subscriptions, ops } = await subscribed(1 << 20, 2);
    for (let port = 1; port <= 3; port++) provide('web.front.shop', port);
    expect(debug).toEqual(['session s1 (web-1) owes too many acks; collapsing into resyncs']);
    // Collapsed, then flushed at once: the peer is sent a resync of all three.
    await eventually(() => ops().some((op) => op.op === 'resync'));
    expect(subscriptions[0]!.owesResync).toBe(false);
  });

  it('replays what a resumed session has not acknowledged, in order, and a resync where pushes collapsed', async () => {
    const { fanOut, session, subscriptions, provide, ops } = await subscribed(1 << 20);
    provide('web.front.shop', 1);
    provide('web.front.shop', 2);
    session.owe(subscriptions[1]!);
    await eventually(() => ops().length === 2);
    fanOut.replay(session);
    await eventually(() => ops().length === 5);
    expect(
      ops()
        .slice(2)
        .map(({ op, sub, seq }) => [op, sub, seq]),
    ).toEqual([
      ['changed', subscriptions[0]!.id, 1],
      ['changed', subscriptions[0]!.id, 2],
      ['resync', subscriptions[1]!.id, 1],
    ]);
  });
});
