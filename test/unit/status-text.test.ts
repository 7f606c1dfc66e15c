// `scs status` as text (src/status/status-text.ts), on a fixed set of members: hosts grouped by data
// center and zone (those without last), each member's services with state and health, and every
// dependency with what it points at, marked where the container's endpoints differ from disco's.

import { describe, expect, it } from 'vitest';
import type { Member } from '../../src/protocol/member.ts';
import { differs, formatStatus, groupMembers } from '../../src/status/status-text.ts';
import { record } from '../helpers/member.ts';

const AT = '2026-12-06T18:00:00.000Z';
const member = (id: string, over: Parameters<typeof record>[0]): Member => ({ id, since: AT, updated: AT, ...record(over) });

const h1 = member('m1', {});
const h3 = member('m3', {
  host: 'h3',
  project: 'h3',
  address: '10.201.1.13',
  services: [
    {
      service: 'db',
      state: 'running',
      provides: [{ name: 'mysql.db.blog.prod', address: '10.201.1.13:3306' }],
      requires: [],
    },
  ],
});
const h2 = member('m2', {
  host: 'h2',
  project: 'h2',
  address: '10.201.2.12',
  attrs: { dc: 'dc-b', az: 'b' },
  stack: 'blog',
  services: [
    {
      service: 'backup',
      state: 'restarting',
      health: 'unhealthy',
      provides: [],
      requires: [
        { endpoint: 'db', name: 'mysql.db.blog.prod', applied: ['10.201.1.12:3306'], current: ['10.201.1.13:3306'] },
        { endpoint: 'web', name: '*.web.blog.prod', applied: [], current: [] },
      ],
    },
  ],
});
const loose = member('m4', {
  host: 'laptop',
  project: 'laptop',
  address: '192.0.2.1',
  attrs: {},
  phase: 'starting',
  services: [],
  trimmed: true,
});

describe('formatStatus', () => {
  it('prints hosts by data center and zone, services with state and health, and what each dependency points at', () => {
    expect(formatStatus([loose, h2, h3, h1])).toBe(
      [
        'data center dc-a, zone a',
        '  host h1',
        '    blog.prod (project h1, 10.201.1.11, scs 0.3.0): running',
        '      web  running (healthy)',
        '        provides http.web.blog.prod at 10.201.1.11:32768',
        '        requires db = mysql.db.blog.prod: 10.201.1.13:3306',
        '  host h3',
        '    blog.prod (project h3, 10.201.1.13, scs 0.3.0): running',
        '      db  running',
        '        provides mysql.db.blog.prod at 10.201.1.13:3306',
        'data center dc-b, zone b',
        '  host h2',
        '    blog.prod (project h2, 10.201.2.12, scs 0.3.0): running',
        '      backup  restarting (unhealthy)',
        '        requires db = mysql.db.blog.prod: 10.201.1.13:3306, but its container has 10.201.1.12:3306 (differs)',
        '        requires web = *.web.blog.prod: nothing',
        'data center -, zone -',
        '  host laptop',
        '    blog.prod (project laptop, 192.0.2.1, scs 0.3.0): starting, trimmed',
        '      no services',
        '',
      ].join('\n'),
    );
  });

  it('says that a service is drained, after its health', () => {
    const drained = member('m5', {
      services: [{ service: 'web', state: 'running', health: 'healthy', drained: true, provides: [], requires: [] }],
    });
    expect(formatStatus([drained])).toContain('      web  running (healthy, drained)\n');
  });

  it('names each instance of a service with replicas, from the second on', () => {
    const two = member('m6', {
      services: [
        { service: 'web', state: 'running', provides: [], requires: [] },
        { service: 'web', instance: 2, state: 'exited', provides: [], requires: [] },
      ],
    });
    const text = formatStatus([two]);
    expect(text).toContain('      web    running\n');
    expect(text).toContain('      web-2  exited\n');
  });

  it('says so when no agent has told disco anything', () => {
    expect(formatStatus([])).toBe('no members: no agent has told this disco what it runs\n');
  });
});

describe('groupMembers', () => {
  it('orders the groups and the members in them the same way whatever order they came in', () => {
    const order = (members: Member[]) => groupMembers(members).map((g) => [g.dc, g.zone, g.members.map((m) => m.id)]);
    expect(order([loose, h2, h3, h1])).toEqual([
      ['dc-a', 'a', ['m1', 'm3']],
      ['dc-b', 'b', ['m2']],
      ['-', '-', ['m4']],
    ]);
    expect(order([h1, h3, h2, loose])).toEqual(order([loose, h2, h3, h1]));
  });
});

describe('differs', () => {
  it('compares the endpoints as sets, not in order', () => {
    const requirement = { endpoint: 'db', name: 'mysql.db.blog.prod', applied: ['a:1', 'b:2'], current: ['b:2', 'a:1'] };
    expect(differs(requirement)).toBe(false);
    expect(differs({ ...requirement, current: ['a:1'] })).toBe(true);
    expect(differs({ ...requirement, current: ['a:1', 'c:3'] })).toBe(true);
  });
});

describe('spread in scs status', () => {
  const web = (instance?: number, missing: string[] = []) => ({
    service: 'web',
    ...(instance ? { instance } : {}),
    state: 'running',
    spread: { by: 'zone' as const, missing },
    provides: [],
    requires: [],
  });

  it('counts the instances in each group, and says under-spread while a group over: names has no live host', () => {
    const a = member('ma', { host: 'ha', project: 'ha', attrs: { zone: 'a' }, services: [web(undefined, ['c']), web(3, ['c'])] });
    const b = member('mb', { host: 'hb', project: 'hb', attrs: { zone: 'b' }, services: [web(2, ['c'])] });
    const text = formatStatus([a, b]);
    expect(text).toContain('      web    running (under-spread)\n');
    expect(
      text.endsWith('spread\n  web.blog.prod by zone: 2 in a, 1 in b; under-spread: no live host in zone c, its share runs elsewhere\n'),
    ).toBe(true);
    const whole = formatStatus([member('mb', { host: 'hb', project: 'hb', attrs: { zone: 'b' }, services: [web()] })]);
    expect(whole.endsWith('spread\n  web.blog.prod by zone: 1 in b\n')).toBe(true);
    expect(formatStatus([h1])).not.toContain('spread');
  });
});
