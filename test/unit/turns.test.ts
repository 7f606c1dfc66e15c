// The server's session ends take turns (issue 26 §6): the first at once, each later one in a turn
// of the event loop of its own, so other work gets in between.

import { describe, expect, it } from 'vitest';
import { Turns } from '../../src/server/turns.ts';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Turns', () => {
  it('runs the first piece at once and each later one in a turn of its own, others in between', async () => {
    const turns = new Turns();
    const order: string[] = [];
    for (const piece of ['a', 'b', 'c']) turns.run(() => order.push(piece));
    expect(order).toEqual(['a']);
    expect(turns.pending).toBe(2);
    setImmediate(() => order.push('other'));
    await turn();
    await turn();
    await turn();
    expect(order).toEqual(['a', 'b', 'other', 'c']);
    await turn();
    // Idle again: the next piece runs at once.
    turns.run(() => order.push('d'));
    expect(order.at(-1)).toBe('d');
  });

  it('runs every waiting piece on flush, and goes on after a piece that throws', async () => {
    const turns = new Turns();
    const order: string[] = [];
    expect(() =>
      turns.run(() => {
        throw new Error('first');
      }),
    ).toThrow('first');
    turns.run(() => order.push('b'));
    turns.run(() => order.push('c'));
    turns.flush();
    expect(order).toEqual(['b', 'c']);
    expect(turns.pending).toBe(0);
  });
});
