// The server's book of placements, without sockets: its limit, all-or-nothing batches, conditional
// entries and the `conflict` they raise, revisions, and what its listeners are told.

import { describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from '../../src/protocol/errors.ts';
import type { Place } from '../../src/protocol/placement.ts';
import { PlacementBook, type PlacementChange } from '../../src/server/placement-book.ts';

const placer = { by: 'scs-test', since: '2026-01-01T00:00:00.000Z' };
const place = (service: string, host: string, more: Partial<Place> = {}): Place => ({ service, target: { host }, cause: 'move', ...more });

/** The error `run` throws, as `code: message`. */
function thrown(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ProtocolError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('expected an error');
}

describe('the placement book', () => {
  it('keeps placements by service, in name order, with who set them and when', () => {
    const book = new PlacementBook();
    const stored = book.set([place('web.blog.prod', 'h2'), place('db.blog.prod', 'h1', { cause: 'files', files: 'host h1' })], placer);
    expect(stored).toEqual([
      { service: 'web.blog.prod', target: { host: 'h2' }, cause: 'move', ...placer, revision: 1 },
      { service: 'db.blog.prod', target: { host: 'h1' }, cause: 'files', files: 'host h1', ...placer, revision: 1 },
    ]);
    expect(book.list().map((p) => p.service)).toEqual(['db.blog.prod', 'web.blog.prod']);
    expect(book.get('web.blog.prod')?.target).toEqual({ host: 'h2' });
  });

  it('adds one to a service revision per change of that service only', () => {
    const book = new PlacementBook();
    book.set([place('web.blog.prod', 'h1'), place('db.blog.prod', 'h1')], placer);
    book.set([place('web.blog.prod', 'h2')], placer);
    const [web] = book.set([place('web.blog.prod', 'h3')], placer);
    expect(web?.revision).toBe(3);
    expect(book.get('db.blog.prod')?.revision).toBe(1);
  });

  it('sets a conditional entry only at the revision it names, 0 meaning none stored', () => {
    const book = new PlacementBook();
    expect(book.set([place('web.blog.prod', 'h1', { cause: 'claim', revision: 0 })], placer)[0]?.revision).toBe(1);
    expect(thrown(() => book.set([place('web.blog.prod', 'h2', { cause: 'claim', revision: 0 })], placer))).toBe(
      'conflict: web.blog.prod was not placed: it was expected at revision 0, but it is placed on host h1 now (claim, by scs-test, revision 1)',
    );
    expect(thrown(() => book.set([place('db.blog.prod', 'h2', { revision: 4 })], placer))).toBe(
      'conflict: db.blog.prod was not placed: it was expected at revision 4, but it is placed nowhere now',
    );
    expect(book.set([place('web.blog.prod', 'h2', { revision: 1 })], placer)[0]).toMatchObject({ target: { host: 'h2' }, revision: 2 });
  });

  it('sets all of a batch or none: one failed condition leaves every service as it was', () => {
    const book = new PlacementBook();
    book.set([place('web.blog.prod', 'h1')], placer);
    const changes: PlacementChange[] = [];
    book.listen((change) => changes.push(change));
    const batch = [place('db.blog.prod', 'h1'), place('web.blog.prod', 'h9', { revision: 7 })];
    expect(thrown(() => book.set(batch, placer))).toMatch(/^conflict: web\.blog\.prod was not placed/);
    expect(book.size).toBe(1);
    expect(book.get('web.blog.prod')?.target).toEqual({ host: 'h1' });
    expect(changes).toEqual([]);
  });

  it('refuses a batch that names one service twice', () => {
    const book = new PlacementBook();
    expect(thrown(() => book.set([place('web.blog.prod', 'h1'), place('web.blog.prod', 'h2')], placer))).toBe(
      'bad_request: placements: web.blog.prod appears more than once',
    );
    expect(book.size).toBe(0);
  });

  it('holds at most its limit of services, whole batches refused past it, changes to those it holds still taken', () => {
    const book = new PlacementBook(2);
    book.set([place('a.blog.prod', 'h1')], placer);
    expect(thrown(() => book.set([place('b.blog.prod', 'h1'), place('c.blog.prod', 'h1')], placer))).toBe(
      `${ErrorCode.overloaded}: this disco server holds its maximum of 2 placements`,
    );
    expect(book.size).toBe(1);
    book.set([place('b.blog.prod', 'h1')], placer);
    expect(book.hasRoomFor('c.blog.prod')).toBe(false);
    expect(book.hasRoomFor('a.blog.prod')).toBe(true);
    expect(book.set([place('a.blog.prod', 'h2'), place('b.blog.prod', 'h2')], placer).map((p) => p.revision)).toEqual([2, 2]);
  });

  it('tells its listeners of each placement set, with the one it replaced, until they stop listening', () => {
    const book = new PlacementBook();
    const changes: PlacementChange[] = [];
    const stop = book.listen((change) => changes.push(change));
    book.listen(() => {
      throw new Error('a listener that fails');
    });
    book.set([place('web.blog.prod', 'h1')], placer);
    book.set([place('web.blog.prod', 'h2', { from: 'h1' })], placer);
    expect(changes.map(({ placement, previous }) => [placement.target.host, placement.from, previous?.target.host])).toEqual([
      ['h1', undefined, undefined],
      ['h2', 'h1', 'h1'],
    ]);
    stop();
    book.set([place('web.blog.prod', 'h3')], placer);
    expect(changes).toHaveLength(2);
  });

  it('keeps what a store decided as it is, and forgets a service the store let go', () => {
    const book = new PlacementBook();
    book.keep({ ...place('web.blog.prod', 'h1'), ...placer, revision: 9 });
    expect(book.set([place('web.blog.prod', 'h2', { revision: 9 })], placer)[0]?.revision).toBe(10);
    book.forget('web.blog.prod');
    expect(book.get('web.blog.prod')).toBeUndefined();
  });
});
