// The pure decisions of placement: whose data a service keeps, whether an agent runs it, what the
// stack files set against a move, whether a move may go, how far it has come, and `scs placement`'s rows.

import { describe, expect, it } from 'vitest';
import { dataOf } from '../../src/placement/data.ts';
import { filesPlacement } from '../../src/placement/files.ts';
import { verdict } from '../../src/placement/here.ts';
import { checkMove } from '../../src/placement/move.ts';
import { progressOf } from '../../src/placement/progress.ts';
import { placementRows } from '../../src/placement/table.ts';
import { formatDrain, type Instances } from '../../src/protocol/instances.ts';
import type { Member } from '../../src/protocol/member.ts';
import type { Placement } from '../../src/protocol/placement.ts';
import { formatTarget, placedOn } from '../../src/protocol/placement.ts';
import { service } from '../helpers/compiled.ts';
import { record } from '../helpers/member.ts';
import { compileAt, project } from '../helpers/project.ts';

const stored = (over: Partial<Placement> = {}): Placement => ({
  service: 'db.shop.test',
  target: { host: 'h1' },
  cause: 'files',
  by: 'scs up shop',
  since: '2026-12-07T06:00:00.000Z',
  revision: 3,
  ...over,
});
const member = (host: string, services: Member['services'], over: Partial<Member> = {}): Member => ({
  id: `id-${host}`,
  since: '2026-12-07T06:00:00.000Z',
  updated: '2026-12-07T06:00:00.000Z',
  ...record({ host, project: host, stack: 'shop', environment: 'test', services, attrs: { dc: 'dc-a', az: 'a' } }),
  ...over,
});
const running = (name: string, over: Partial<Member['services'][number]> = {}): Member['services'][number] => ({
  service: name,
  state: 'running',
  provides: [{ name: `http.${name}.shop.test`, address: '10.0.0.1:8080' }],
  requires: [],
  ...over,
});
const db = service('db', { volumes: [{ name: 'data', target: '/var/lib/mysql' }] });
const web = service('web', { provides: [{ endpoint: 'http', port: 8080 }] });

describe('placement targets', () => {
  it('pick a member by host, by attributes, or by both', () => {
    expect(placedOn({ host: 'h1' }, { host: 'h1' })).toBe(true);
    expect(placedOn({ host: 'h1' }, { host: 'h2' })).toBe(false);
    expect(placedOn({ attrs: { dc: 'dc-a' } }, { host: 'h2', attrs: { dc: 'dc-a', az: 'a' } })).toBe(true);
    expect(placedOn({ attrs: { dc: 'dc-a' } }, { host: 'h2', attrs: { dc: 'dc-b' } })).toBe(false);
    expect(placedOn({ host: 'h1', attrs: { dc: 'dc-a' } }, { host: 'h1' })).toBe(false);
    expect(formatTarget({ host: 'h1', attrs: { dc: 'a', az: 'a1' } })).toBe('host h1, az=a1 dc=a');
  });
});

describe('the data a service keeps', () => {
  it('is none when every volume is shareable, stays with a named or local volume, and follows with EBS', () => {
    expect(dataOf(web)).toBeUndefined();
    expect(dataOf(service('cache', { volumes: [{ name: 'c', target: '/c', shareable: true }] }))).toBeUndefined();
    expect(dataOf(db)?.kind).toBe('stays');
    const ebs = { ...db, container: { ...db.container, volumes: [{ ...db.container.volumes[0]!, method: 'aws-ec2-ebs' as const }] } };
    expect(dataOf(ebs as typeof db)?.kind).toBe('follows');
  });
});

describe('whether an agent runs a service', () => {
  const me = { host: 'h2', attrs: { dc: 'dc-a' } };
  it('runs one without data anywhere nothing is stored, and claims one with data', () => {
    expect(verdict(web, undefined, me)).toEqual({ run: true });
    expect(verdict(db, undefined, me)).toEqual({ claim: true });
  });
  it('runs it where it is placed, and nowhere else, saying why and how to move it', () => {
    expect(verdict(db, stored({ target: { host: 'h2' } }), me)).toEqual({ run: true });
    const said = verdict(db, stored({ cause: 'claim' }), me);
    expect(said).toEqual({ elsewhere: 'db is placed on host h1 where its data is: `scs move db --to h2` moves it here' });
  });
  it('claims a singleton placed by attributes alone, and runs a service without data on every host they pick', () => {
    expect(verdict(db, stored({ target: { attrs: { dc: 'dc-a' } } }), me)).toEqual({ claim: true });
    expect(verdict(web, stored({ service: 'web.shop.test', target: { attrs: { dc: 'dc-a' } } }), me)).toEqual({ run: true });
  });
});

describe("the stack files' placement", () => {
  const placed = { ...web, placement: { host: 'h3' } };
  const name = (s: string) => `${s}.shop.test`;
  it('is set when none is stored, conditionally on there being none', () => {
    const { places, notes } = filesPlacement([placed, db], new Map(), name);
    expect(places).toEqual([{ service: 'web.shop.test', target: { host: 'h3' }, cause: 'files', files: 'host h3', revision: 0 }]);
    expect(notes).toEqual([]);
  });
  it('leaves a move alone while the files say what they said when they set it', () => {
    const moved = stored({ service: 'web.shop.test', target: { host: 'h1' }, cause: 'move', files: 'host h3' });
    expect(filesPlacement([placed], new Map([['web.shop.test', moved]]), name).places).toEqual([]);
  });
  it('wins over a move once the files say something else, and says so in one line', () => {
    const moved = stored({ service: 'web.shop.test', target: { host: 'h1' }, cause: 'move', files: 'host h2', revision: 7 });
    const { places, notes } = filesPlacement([placed], new Map([['web.shop.test', moved]]), name);
    expect(places).toMatchObject([{ target: { host: 'h3' }, files: 'host h3', revision: 7 }]);
    expect(notes).toEqual(['web: the stack files place it on host h3 now, not on host h1 where it was placed: the files win']);
  });
});

describe('a move', () => {
  const members = [member('h1', [running('db', { provides: [] })]), member('h2', []), member('h3', [], { attrs: { dc: 'dc-b', az: 'b' } })];
  const ask = (to: string, withoutData = false) => ({ service: 'db.shop.test', to, withoutData });
  it('is refused to a host with no agent of the stack, naming the hosts there are', () => {
    expect(checkMove(ask('h9'), stored(), members)).toEqual({
      refused: 'no agent of shop.test is up on host h9 (hosts up: h1, h2, h3): start one there with scs up -d',
    });
  });
  it('is refused for data that cannot follow, unless --without-data', () => {
    const stays = stored({ data: 'stays' });
    expect(checkMove(ask('h2'), stays, members)).toMatchObject({ refused: expect.stringContaining('--without-data') });
    expect(checkMove(ask('h2', true), stays, members)).toMatchObject({
      plan: { from: ['h1'], order: 'stop-first', place: { target: { host: 'h2' }, from: 'h1', withoutData: true, revision: 3 } },
    });
  });
  it('is refused across zones for data that follows, and goes stop-first within one', () => {
    const follows = stored({ data: 'follows', zone: 'a', files: 'host h1' });
    expect(checkMove(ask('h3'), follows, members)).toEqual({
      refused: "db's data is on a volume in zone a, and host h3 is in zone b: a volume moves only within its zone",
    });
    expect(checkMove(ask('h2'), follows, members)).toEqual({
      plan: {
        from: ['h1'],
        order: 'stop-first',
        place: {
          service: 'db.shop.test',
          target: { host: 'h2' },
          cause: 'move',
          from: 'h1',
          files: 'host h1',
          data: 'follows',
          zone: 'a',
          revision: 3,
        },
      },
    });
  });
  it('is refused across zones for data placed by the files, by the zone of the host that runs it', () => {
    const zoned = [
      member('h1', [running('db', { provides: [] })], { attrs: { dc: 'dc-a', az: 'a' } }),
      member('h3', [], { attrs: { dc: 'dc-b', az: 'b' } }),
    ];
    expect(checkMove(ask('h3'), stored({ data: 'follows', cause: 'files', files: 'host h1' }), zoned)).toEqual({
      refused: "db's data is on a volume in zone a, and host h3 is in zone b: a volume moves only within its zone",
    });
  });
  it('goes start-first for a service without data, and is nothing to do where it is already', () => {
    const webMembers = [member('h1', [running('web')]), member('h2', [])];
    expect(checkMove({ service: 'web.shop.test', to: 'h2', withoutData: false }, undefined, webMembers)).toMatchObject({
      plan: { order: 'start-first', place: { revision: 0, from: 'h1' } },
    });
    expect(checkMove({ service: 'web.shop.test', to: 'h1', withoutData: false }, stored({ target: { host: 'h1' } }), webMembers)).toEqual({
      already: true,
    });
  });
});

describe("a move's progress", () => {
  const moving = { service: 'web.shop.test', to: 'h2', provides: true };
  it('is done once the new host runs it ready and provided, and no other host holds it', () => {
    expect(progressOf(moving, [member('h1', [running('web')]), member('h2', [])])).toEqual({
      state: 'moving',
      detail: 'not yet on host h2, still on host h1',
    });
    expect(progressOf(moving, [member('h1', [running('web')]), member('h2', [running('web', { provides: [] })])])).toMatchObject({
      state: 'moving',
    });
    expect(progressOf(moving, [member('h1', [running('web')]), member('h2', [running('web')])])).toMatchObject({ state: 'moving' });
    expect(progressOf(moving, [member('h1', []), member('h2', [running('web')])])).toEqual({ state: 'moved' });
  });
  it('is failing while the new host reports it exited or unhealthy, and lost with the new host', () => {
    expect(progressOf(moving, [member('h2', [running('web', { state: 'exited' })])])).toEqual({
      state: 'failing',
      why: 'on host h2 it is exited',
    });
    expect(progressOf(moving, [member('h2', [running('web', { health: 'unhealthy' })])])).toMatchObject({ state: 'failing' });
    expect(progressOf(moving, [member('h2', [running('web', { state: 'failed', why: 'no block device appeared' })])])).toEqual({
      state: 'failing',
      why: 'on host h2 it is failed: no block device appeared',
    });
    expect(progressOf(moving, [member('h1', [running('web')])])).toEqual({ state: 'lost', why: 'the agent on host h2 is gone' });
  });
});

describe('scs placement rows', () => {
  it('show each service placed, running or of the stack here, where it runs, and what is moving', () => {
    const rows = placementRows(
      [stored({ service: 'web.shop.test', target: { host: 'h2' }, cause: 'move', from: 'h1' })],
      [member('h1', [running('web')]), member('h2', [running('web'), running('client')])],
      ['db.shop.test'],
    );
    expect(rows.map((row) => [row.service, row.placedOn, row.cause, row.runsOn.join(','), row.moving ?? ''])).toEqual([
      ['client.shop.test', 'anywhere', 'none', 'h2', ''],
      ['db.shop.test', 'anywhere', 'none', '', ''],
      ['web.shop.test', 'host h2', 'move', 'h1,h2', 'h1'],
    ]);
    // A pattern picks by service, stack and environment: the members that run web run the client too.
    const web = placementRows([], [member('h2', [running('web'), running('client')])], [], '*.web.shop.test');
    expect(web.map((row) => row.service)).toEqual(['web.shop.test']);
  });

  it("show each service's count and drains, a service with a record alone included", () => {
    const record = (service: string, more: Partial<Instances>): Instances => ({
      service,
      drained: [],
      by: 'alice',
      since: '2026-12-07T06:00:00.000Z',
      revision: 1,
      ...more,
    });
    const rows = placementRows([stored({ service: 'web.shop.test', target: { host: 'h2' }, cause: 'move' })], [], [], '*.*.shop.test', [
      record('web.shop.test', {
        replicas: { count: 3, cause: 'scale' },
        drained: [{ host: 'h2', by: 'alice', since: '2026-12-07T06:00:00.000Z' }],
      }),
      record('db.shop.test', { drained: [{ instance: 1, by: 'bob', since: '2026-12-07T06:00:00.000Z' }] }),
    ]);
    expect(rows.map((row) => [row.service, row.replicas?.count ?? '-', row.drained.map(formatDrain).join(', ')])).toEqual([
      ['db.shop.test', '-', 'instance 1'],
      ['web.shop.test', 3, 'host h2'],
    ]);
  });
});

describe('placement: in the stack file', () => {
  const image = 'from: busybox\nprovides:\n  http: { port: 8080 }\n';
  const stackWith = (placement: string) => `name: shop\nservices:\n  web:\n    image: ./web\n    placement: ${placement}\n`;
  it('takes a host name, or a host and attributes, and an overlay replaces it', () => {
    const dir = project({
      'scs-stack.yaml': stackWith('h1'),
      'web/scs.yaml': image,
      'dc.yaml': 'services:\n  web:\n    placement: { attributes: { dc: dc-a } }\n',
    });
    expect(compileAt(dir).services[0]!.placement).toEqual({ host: 'h1' });
    expect(compileAt(dir, 'scs-stack.yaml', 'dc.yaml').services[0]!.placement).toEqual({ attrs: { dc: 'dc-a' } });
  });

  it('refuses what is neither, in one sentence that says what it takes', () => {
    const dir = project({ 'scs-stack.yaml': stackWith('{ zone: a }'), 'web/scs.yaml': image });
    expect(() => compileAt(dir)).toThrow(
      /services\.web\.placement: expected a host name like "h1", or \{host: h1\} or \{attributes: \{dc: dc-a\}\}/,
    );
  });
});
