// The instances book: counts set by the files or `scs scale`, drains added and taken away (an
// undrain of a host or an instance takes what it covers), revisions, conditions, and its bounds.

import { describe, expect, it } from 'vitest';
import { replicasOf } from '../../src/placement/replicas.ts';
import { editInstances, type Instances, isDrained } from '../../src/protocol/instances.ts';
import { InstancesBook } from '../../src/server/instances-book.ts';

const alice = { by: 'alice', since: '2026-12-07T06:00:00.000Z' };
const bob = { by: 'bob', since: '2026-12-07T07:00:00.000Z' };
const shown = (record: Instances | undefined) =>
  record &&
  `${record.service}#${record.revision} x${record.replicas?.count ?? '-'} drained:${record.drained.map((d) => `${d.host ?? '*'}/${d.instance ?? '*'}`).join(',')}`;

describe('the instances book', () => {
  it('sets a count, then drains and undrains, each change one revision more, the count kept', () => {
    const book = new InstancesBook();
    book.edit([{ service: 'web.blog.prod', replicas: { count: 3, cause: 'scale' } }], alice);
    book.edit(
      [
        {
          service: 'web.blog.prod',
          drains: [
            { host: 'h1', drained: true },
            { instance: 2, drained: true },
          ],
        },
      ],
      bob,
    );
    expect(shown(book.get('web.blog.prod'))).toBe('web.blog.prod#2 x3 drained:h1/*,*/2');
    expect(book.get('web.blog.prod')?.drained[0]).toEqual({ host: 'h1', ...bob });
    // The same drain again changes no entry (its first time stays); an undrain of h1 takes only h1's.
    book.edit([{ service: 'web.blog.prod', drains: [{ host: 'h1', drained: true }] }], alice);
    expect(book.get('web.blog.prod')?.drained[0]?.by).toBe('bob');
    book.edit([{ service: 'web.blog.prod', drains: [{ host: 'h1', drained: false }] }], alice);
    expect(shown(book.get('web.blog.prod'))).toBe('web.blog.prod#4 x3 drained:*/2');
    // An undrain naming nothing takes every drain of the service.
    book.edit([{ service: 'web.blog.prod', drains: [{ host: 'h2', instance: 1, drained: true }] }], alice);
    book.edit([{ service: 'web.blog.prod', drains: [{ drained: false }] }], alice);
    expect(shown(book.get('web.blog.prod'))).toBe('web.blog.prod#6 x3 drained:');
  });

  it('keeps, through a scs scale, what the stack files said last', () => {
    const book = new InstancesBook();
    book.edit([{ service: 'web.blog.prod', replicas: { count: 2, cause: 'files', files: 2 } }], alice);
    book.edit([{ service: 'web.blog.prod', replicas: { count: 5, cause: 'scale' } }], bob);
    expect(book.get('web.blog.prod')?.replicas).toEqual({ count: 5, cause: 'scale', files: 2 });
  });

  it('tells its listeners of each record set, with the one it replaced', () => {
    const book = new InstancesBook();
    const told: string[] = [];
    book.listen(({ record, previous }) => told.push(`${shown(previous) ?? 'none'} -> ${shown(record)}`));
    book.edit([{ service: 'db.blog.prod', drains: [{ drained: true }] }], alice);
    book.edit([{ service: 'db.blog.prod', replicas: { count: 2, cause: 'files', files: 2 } }], alice);
    expect(told).toEqual(['none -> db.blog.prod#1 x- drained:*/*', 'db.blog.prod#1 x- drained:*/* -> db.blog.prod#2 x2 drained:*/*']);
  });

  it('sets all or none: a stale revision is a conflict that names the revision now, and nothing changes', () => {
    const book = new InstancesBook();
    book.edit([{ service: 'web.blog.prod', replicas: { count: 2, cause: 'scale' } }], alice);
    expect(() =>
      book.edit(
        [
          { service: 'db.blog.prod', replicas: { count: 1, cause: 'scale' } },
          { service: 'web.blog.prod', replicas: { count: 5, cause: 'scale' }, revision: 0 },
        ],
        bob,
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'conflict',
        message:
          'the instances of web.blog.prod were not changed: they were expected at revision 0, but it is at revision 1 now (by alice)',
      }),
    );
    expect(book.list().map(shown)).toEqual(['web.blog.prod#1 x2 drained:']);
    expect(book.edit([{ service: 'web.blog.prod', replicas: { count: 5, cause: 'scale' }, revision: 1 }], bob)[0]?.revision).toBe(2);
  });

  it('refuses a service named twice, more records than its limit, and more drains than a record holds', () => {
    const book = new InstancesBook(2);
    const edit = (service: string) => ({ service, replicas: { count: 1, cause: 'scale' as const } });
    expect(() => book.edit([edit('a.s.e'), edit('a.s.e')], alice)).toThrow(expect.objectContaining({ code: 'bad_request' }));
    book.edit([edit('a.s.e'), edit('b.s.e')], alice);
    expect(() => book.edit([edit('c.s.e')], alice)).toThrow(
      expect.objectContaining({ code: 'overloaded', message: 'this disco server holds its maximum of 2 instances records' }),
    );
    book.edit([edit('a.s.e')], alice); // One it holds may still change.
    const drains = Array.from({ length: 65 }, (_, at) => ({ instance: at + 1, drained: true }));
    expect(() => book.edit([{ service: 'a.s.e', drains }], alice)).toThrow(
      expect.objectContaining({ code: 'bad_request', message: 'a.s.e would have more than 64 drains: undrain some first' }),
    );
    expect(book.get('a.s.e')?.drained).toEqual([]);
  });
});

describe('what a record says of one instance', () => {
  const record = editInstances(
    undefined,
    {
      service: 'web.blog.prod',
      drains: [
        { host: 'h1', instance: 2, drained: true },
        { host: 'h2', drained: true },
      ],
    },
    alice,
  );

  it('is drained where a drain covers both its host and its instance', () => {
    expect([isDrained(record, 'h1', 1), isDrained(record, 'h1', 2), isDrained(record, 'h2', 1), isDrained(record, 'h3', 2)]).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(isDrained(undefined, 'h1', 1)).toBe(false);
    expect(isDrained(editInstances(undefined, { service: 'x.s.e', drains: [{ drained: true }] }, alice), 'h9', 7)).toBe(true);
  });

  it('runs the stored count, else the stack files, else one', () => {
    expect(replicasOf({ replicas: 3 }, { ...record, replicas: { count: 5, cause: 'scale' } })).toBe(5);
    expect(replicasOf({ replicas: 3 }, record)).toBe(3);
    expect(replicasOf({}, undefined)).toBe(1);
  });
});
