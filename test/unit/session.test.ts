// What a session owes its client (pushes sent and not yet acknowledged, counted toward the
// backlog limits) and its client's keys, kept both ways.

import { describe, expect, it } from 'vitest';
import { KeyIndex, type SentPush, Session, type Subscription } from '../../src/server/session.ts';

const push = (seq: number, bytes: number, resync = false): SentPush => ({ seq, lines: 'x'.repeat(bytes), resync });

function subscribed(session: Session, id: string): Subscription {
  const subscription: Subscription = { id, seq: 0, unacked: [], owesResync: false };
  session.subscriptions.set(id, subscription);
  return subscription;
}

describe('what a session owes', () => {
  it('counts pushes and their bytes until acknowledged, cumulatively; a resync is never counted', () => {
    const session = new Session('s1', 'test');
    const sub = subscribed(session, 'r1');
    session.remember(sub, push(1, 10));
    session.remember(sub, push(2, 0, true));
    session.remember(sub, push(3, 30));
    expect([session.unackedCount, session.unackedBytes]).toEqual([2, 40]);
    session.acknowledge('r1', 2);
    expect(sub.unacked.map((p) => p.seq)).toEqual([3]);
    expect([session.unackedCount, session.unackedBytes]).toEqual([1, 30]);
    session.acknowledge('r1', 2);
    expect(sub.unacked.map((p) => p.seq)).toEqual([3]);
    session.acknowledge('r1', 9);
    expect(sub.unacked).toEqual([]);
    expect([session.unackedCount, session.unackedBytes]).toEqual([0, 0]);
  });

  it('takes an ack for a subscription it does not have without a word', () => {
    const session = new Session('s1', 'test');
    expect(() => session.acknowledge('r9', 4)).not.toThrow();
    expect(session.removeSubscription('r9')).toBeUndefined();
  });

  it('owes a resync instead of what it sent, and forgets the sum of it', () => {
    const session = new Session('s1', 'test');
    const owing = subscribed(session, 'r1');
    const other = subscribed(session, 'r2');
    session.remember(owing, push(1, 10));
    session.remember(owing, push(2, 5, true));
    session.remember(other, push(1, 7));
    session.owe(owing);
    expect(owing).toMatchObject({ unacked: [], owesResync: true });
    expect([session.unackedCount, session.unackedBytes]).toEqual([1, 7]);
  });

  it('forgets what a removed subscription was owed, and its key', () => {
    const session = new Session('s1', 'test');
    const sub = subscribed(session, 'r1');
    session.subscriptionKeys.set('db', 'r1');
    session.remember(sub, push(1, 10));
    session.remember(sub, push(2, 4, true));
    expect(session.removeSubscription('r1')).toBe(sub);
    expect(session.subscriptions.has('r1')).toBe(false);
    expect(session.subscriptionKeys.get('db')).toBeUndefined();
    expect([session.unackedCount, session.unackedBytes]).toEqual([0, 0]);
  });
});

describe('a key index', () => {
  it('finds an id by its key, and forgets the key with the id', () => {
    const keys = new KeyIndex();
    keys.set('web', 'p1');
    keys.set('admin', 'p2');
    expect(keys.get('web')).toBe('p1');
    keys.deleteId('p1');
    expect(keys.get('web')).toBeUndefined();
    expect(keys.get('admin')).toBe('p2');
    keys.deleteId('p7');
    expect(keys.get('admin')).toBe('p2');
  });
});
