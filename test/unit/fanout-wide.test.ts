// A fan-out to many subscriptions over a few real connections: what the fast write path (a push's
// body shared by subscriptions, the lines of a tick joined into one write, early writes during a
// long fan-out) must keep: each subscriber gets every add and drop once, in order, under its own id.

import { consola } from 'consola';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.ts';
import type { Change } from '../../src/registry/types.ts';
import { FanOut } from '../../src/server/fanout.ts';
import { Session, type Subscription } from '../../src/server/session.ts';
import { closePairs, connectionPair } from '../helpers/connection-pair.ts';
import { eventually } from '../helpers/wait.ts';

const quiet = consola.create({ level: -999 });

interface Pushed {
  op: string;
  sub: string;
  seq: number;
  add: Array<{ id: string }>;
  drop: Array<{ id: string }>;
}

async function subscribers(sessions: number, perSession: number, maxQueueBytes: number[] = []) {
  const registry = new Registry();
  const fanOut = new FanOut(registry, { maxUnacked: 1_000_000, maxUnackedBytes: 1 << 30, logger: quiet });
  const held = await Promise.all(
    Array.from({ length: sessions }, async (_, i) => {
      const session = new Session(`s${i}`, `reader-${i}`);
      const pair = await connectionPair({ maxQueueBytes: maxQueueBytes[i] ?? 1 << 24, maxLineBytes: 1 << 16 });
      session.connection = pair.connection;
      // Every third subscription sees only zone a: its pushes differ from its neighbours'.
      const subscriptions = Array.from({ length: perSession }, (_, j) => {
        const filter: Record<string, string> = j % 3 === 0 ? { zone: 'a' } : {};
        return fanOut.subscribe(session, registry.require({ name: 'web.front.shop', filter, owner: session.id }).requirement.id);
      });
      // Whole lines only: the last may still be arriving.
      const pushes = () => {
        const text = pair.received();
        return text
          .slice(0, text.lastIndexOf('\n') + 1)
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Pushed);
      };
      return { session, subscriptions, pushes, connection: pair.connection };
    }),
  );
  const provide = (port: number, zone: string): { id: string; changes: Change[] } => {
    const address = { host: '10.0.0.1', port, protocol: 'tcp' as const };
    const { provision, changes } = registry.provide({ name: 'web.front.shop', address, attributes: { zone }, owner: 'p' });
    return { id: provision.id, changes };
  };
  return { registry, fanOut, held, provide };
}

/** What one subscription was pushed, in the order it arrived: [seq, adds, drops]. */
const seen = (pushes: Pushed[], subscription: Subscription) =>
  pushes.filter((push) => push.sub === subscription.id).map((push) => [push.seq, push.add.map((e) => e.id), push.drop.map((e) => e.id)]);

describe('fan-out to many subscriptions', () => {
  afterEach(closePairs);

  it('pushes every add and drop once and in order to each subscription, under its own id, past the early writes', async () => {
    // 3 × 700 subscriptions: one publish reaches 2,100, more than one early write (every 1,000 pushes) holds.
    const { registry, fanOut, held, provide } = await subscribers(3, 700);
    const a = provide(1, 'a');
    const b = provide(2, 'b');
    fanOut.publish([...a.changes, ...b.changes]); // one publish, two adds: bodies [a, b] and [a]
    fanOut.publish(registry.drop(a.id));
    fanOut.publish(registry.drop(b.id));
    for (const { subscriptions, pushes } of held) {
      // Zone a's subscriptions (every third) see neither the add nor the drop of b.
      const expected = subscriptions.length * 3 - Math.ceil(subscriptions.length / 3);
      await eventually(() => pushes().length === expected, 5000, `${expected} pushes`);
      const all = pushes();
      expect(all.every((push) => push.op === 'changed')).toBe(true);
      const bySub = new Map<string, Pushed[]>();
      for (const push of all) bySub.set(push.sub, [...(bySub.get(push.sub) ?? []), push]);
      subscriptions.forEach((subscription, j) => {
        const zoneA = [
          [1, [a.id], []],
          [2, [], [a.id]],
        ];
        const every = [
          [1, [a.id, b.id], []],
          [2, [], [a.id]],
          [3, [], [b.id]],
        ];
        expect(seen(bySub.get(subscription.id) ?? [], subscription)).toEqual(j % 3 === 0 ? zoneA : every);
      });
    }
  });

  it('lets a backlogged reader fall behind alone: the others get every push, and it is owed resyncs, not pushes', async () => {
    // Session 0 is backlogged by its first write (maxQueueBytes 0) and its peer's reads are never checked.
    const { registry, fanOut, held, provide } = await subscribers(2, 50, [0]);
    const [slow, fast] = held as [(typeof held)[0], (typeof held)[0]];
    const ports = [1, 2, 3];
    for (const port of ports) fanOut.publish(provide(port, 'b').changes);
    expect(slow.connection.backlogged).toBe(true);
    // Zone b: the filtered third of the subscriptions sees none of it.
    const seeing = fast.subscriptions.filter((_, j) => j % 3 !== 0);
    await eventually(() => fast.pushes().length === seeing.length * ports.length, 5000, 'every push to the fast reader');
    for (const subscription of seeing) expect(seen(fast.pushes(), subscription).map(([seq]) => seq)).toEqual([1, 2, 3]);
    // The slow one: what it is owed collapsed into resyncs, so nothing piles up for it.
    expect(slow.session.unackedCount).toBe(0);
    expect(slow.subscriptions.filter((_, j) => j % 3 !== 0).every((subscription) => subscription.owesResync)).toBe(true);
    expect(registry.lookup('web.front.shop')).toHaveLength(3);
  });
});
