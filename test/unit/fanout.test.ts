import { consola } from 'consola';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.ts';
import { FanOut } from '../../src/server/fanout.ts';
import { Session } from '../../src/server/session.ts';

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

  it('forgets what an ended subscription was owed', () => {
    const { fanOut, session, subscription, provide } = setUp(100);
    provide(1);
    fanOut.unsubscribe(session, subscription.id);
    expect(session.unackedCount).toBe(0);
    expect(session.subscriptions.size).toBe(0);
  });
});
