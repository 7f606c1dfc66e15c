// Members, without sockets: the record's schema and its bounds, how an agent cuts a record to fit its
// line, which members a pattern picks, and the server's book of them (caps, and who joined and left).

import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { describeIssues } from '../../src/protocol/fields.ts';
import { MAX_LINE_BYTES } from '../../src/protocol/framing.ts';
import { fitMember, MEMBER_LIMITS, type MemberRecord, memberBytes, memberMatches } from '../../src/protocol/member.ts';
import { requestSchemas } from '../../src/protocol/messages.ts';
import { MemberBook, type MemberEvent, memberId } from '../../src/server/member-book.ts';
import { record } from '../helpers/member.ts';

/** Why a `member` request with these fields is refused, or undefined when it is not. */
function refusal(fields: Record<string, unknown>): string | undefined {
  const parsed = v.safeParse(requestSchemas.member, { op: 'member', id: 1, ...fields });
  return parsed.success ? undefined : describeIssues(parsed.issues);
}

const addresses = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `10.0.${(from + i) >> 8}.${(from + i) & 255}:80`);

describe('a member record', () => {
  it('is taken whole, canonical names and all', () => {
    const parsed = v.parse(requestSchemas.member, { op: 'member', id: 1, ...record() });
    expect(parsed).toEqual({ op: 'member', id: 1, ...record() });
  });

  it('is refused, with the field at fault, when a field breaks its rule', () => {
    expect(refusal({ ...record(), colour: 'red' })).toBe('colour: unknown field');
    expect(refusal({ ...record(), host: 'H_1' })).toMatch(/^host: expected a label/);
    expect(refusal({ ...record(), address: '10.0.0.01' })).toMatch(/^address: /);
    expect(refusal({ ...record(), phase: 'dancing' })).toMatch(/^phase: expected one of starting, running/);
    expect(refusal({ ...record(), version: 'x'.repeat(65) })).toMatch(/^version: /);
    const service = record().services[0]!;
    expect(refusal(record({ services: [{ ...service, state: 'Running!' }] }))).toMatch(/^services\.0\.state: /);
    // A failed start's reason: one printable line, bounded; a second line could forge output where it is printed.
    expect(refusal(record({ services: [{ ...service, state: 'failed', why: 'no block device appeared' }] }))).toBeUndefined();
    expect(refusal(record({ services: [{ ...service, state: 'failed', why: 'one\n✔ forged' }] }))).toBe(
      'services.0.why: expected one line of at most 200 printable characters',
    );
    expect(refusal(record({ services: [{ ...service, state: 'failed', why: 'x'.repeat(201) }] }))).toMatch(/^services\.0\.why: /);
    expect(refusal(record({ services: [{ ...service, provides: [{ name: 'http.web', address: '10.0.0.1:80' }] }] }))).toMatch(
      /^services\.0\.provides\.0\.name: /,
    );
    expect(refusal(record({ services: [{ ...service, provides: [{ name: 'http.web.blog.prod', address: '10.0.0.1' }] }] }))).toBe(
      'services.0.provides.0.address: expected an address like "10.0.0.5:3306"',
    );
  });

  it('holds at most so many services, endpoints and addresses', () => {
    const service = record().services[0]!;
    const services = (count: number) => Array.from({ length: count }, (_, i) => ({ ...service, service: `s${i}` }));
    expect(refusal(record({ services: services(MEMBER_LIMITS.services) }))).toBeUndefined();
    expect(refusal(record({ services: services(MEMBER_LIMITS.services + 1) }))).toBe(
      `services: expected at most ${MEMBER_LIMITS.services} services`,
    );
    const provides = Array.from({ length: MEMBER_LIMITS.provides + 1 }, () => service.provides[0]!);
    expect(refusal(record({ services: [{ ...service, provides }] }))).toMatch(/^services\.0\.provides: expected at most 64/);
    const requirement = { ...service.requires[0]!, current: addresses(MEMBER_LIMITS.endpoints + 1) };
    expect(refusal(record({ services: [{ ...service, requires: [requirement] }] }))).toMatch(
      /^services\.0\.requires\.0\.current: expected at most 1000 addresses/,
    );
  });
});

describe('fitMember', () => {
  it('leaves a record that fits as it is', () => {
    const fits = record();
    expect(fitMember(fits)).toBe(fits);
  });

  it('halves the longest address lists until the line fits, keeping equal lists equal, and says so', () => {
    const service = record().services[0]!;
    const big = { ...service.requires[0]!, applied: addresses(1000), current: addresses(1000) };
    const small = { ...service.requires[0]!, endpoint: 'cache', applied: addresses(3), current: addresses(2) };
    const long = record({
      services: [
        { ...service, requires: [big, small] },
        { ...service, service: 'api', requires: [big] },
        { ...service, service: 'worker', requires: [big] },
      ],
    });
    expect(memberBytes(long)).toBeGreaterThan(MAX_LINE_BYTES);
    const fitted = fitMember(long);
    expect(memberBytes(fitted)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(fitted.trimmed).toBe(true);
    expect(fitted.services.map((s) => s.service)).toEqual(['web', 'api', 'worker']);
    const [first, second] = fitted.services.map((s) => s.requires[0]!);
    expect(first!.applied).toEqual(first!.current);
    expect(first!.applied.length).toBeLessThan(1000);
    expect(first!.applied).toEqual(addresses(first!.applied.length));
    expect(second!.applied.length).toBeLessThan(1000);
    // A short list is left whole, and the record given is not changed.
    expect(fitted.services[0]!.requires[1]).toEqual(small);
    expect(long.services[0]!.requires[0]!.applied).toHaveLength(1000);
    expect(v.safeParse(requestSchemas.member, { op: 'member', id: 1, ...fitted }).success).toBe(true);
  });

  it('leaves services out from the end when addresses alone are not enough', () => {
    const service = { ...record().services[0]!, requires: [] };
    const services = Array.from({ length: 128 }, (_, i) => ({
      ...service,
      service: `s${i}`,
      provides: Array.from({ length: 20 }, (_, j) => ({ name: `e${j}.s${i}.blog.prod`, address: `10.201.1.11:${30000 + j}` })),
    }));
    const fitted = fitMember(record({ services }), 8 * 1024);
    expect(memberBytes(fitted)).toBeLessThanOrEqual(8 * 1024);
    expect(fitted.trimmed).toBe(true);
    expect(fitted.services.length).toBeGreaterThan(0);
    expect(fitted.services.map((s) => s.service)).toEqual(services.slice(0, fitted.services.length).map((s) => s.service));
  });
});

describe('memberMatches', () => {
  const member = record({ services: [{ ...record().services[0]!, service: 'web' }] });
  it('picks by stack, environment and service; the endpoint label is not read', () => {
    expect(memberMatches(member, '*.*.*.*')).toBe(true);
    expect(memberMatches(member, '*.*.blog.prod')).toBe(true);
    expect(memberMatches(member, 'anything.web.blog.prod')).toBe(true);
    expect(memberMatches(member, '*.db.blog.prod')).toBe(false);
    expect(memberMatches(member, '*.*.blog.dev')).toBe(false);
    expect(memberMatches(member, '*.*.shop.prod')).toBe(false);
    expect(memberMatches(record({ services: [] }), '*.*.blog.prod')).toBe(true);
    expect(memberMatches(record({ services: [] }), '*.web.blog.prod')).toBe(false);
  });
});

describe('MemberBook', () => {
  const stored = (over: Partial<MemberRecord> = {}, at = '2026-12-06T18:00:00.000Z') => ({ record: record(over), since: at, updated: at });

  it('tells its listeners who joined, changed and left, and keeps when a member joined', () => {
    const book = new MemberBook();
    const events: MemberEvent[] = [];
    const stop = book.listen((event) => events.push(event));
    book.set('s1', stored());
    book.set('s1', stored({ phase: 'stopping' }, '2026-12-06T18:00:05.000Z'));
    book.delete('s1', 'heartbeat-timeout');
    book.delete('s1', 'goodbye');
    expect(events.map((e) => [e.type, e.member.phase, e.member.since, e.member.updated, e.reason])).toEqual([
      ['joined', 'running', '2026-12-06T18:00:00.000Z', '2026-12-06T18:00:00.000Z', undefined],
      ['changed', 'stopping', '2026-12-06T18:00:00.000Z', '2026-12-06T18:00:05.000Z', undefined],
      ['left', 'stopping', '2026-12-06T18:00:00.000Z', '2026-12-06T18:00:05.000Z', 'heartbeat-timeout'],
    ]);
    stop();
    book.set('s2', stored());
    expect(events).toHaveLength(3);
  });

  it('lists members by an id that is not their session', () => {
    const book = new MemberBook();
    book.set('session-b', stored());
    book.set('session-a', stored());
    const ids = book.list().map((m) => m.id);
    expect(ids).toEqual([memberId('session-a'), memberId('session-b')].sort());
    expect(ids.join()).not.toMatch(/session/);
  });

  it('refuses a new member past its count, and a record past its bytes, but lets a member state itself again', () => {
    const book = new MemberBook({ members: 2, bytes: 100_000 });
    book.set('s1', stored());
    book.set('s2', stored());
    expect(() => book.check('s3', record())).toThrow(expect.objectContaining({ code: 'too_many_members' }));
    expect(() => book.check('s2', record({ phase: 'stopping' }))).not.toThrow();
    const bytes = new MemberBook({ members: 10, bytes: Buffer.byteLength(JSON.stringify(record())) * 2 + 10 });
    bytes.set('s1', stored());
    expect(() => bytes.check('s2', record({ version: 'x'.repeat(64) }))).toThrow(/would pass \d+ bytes/);
    bytes.delete('s1', 'goodbye');
    expect(() => bytes.check('s2', record({ version: 'x'.repeat(64) }))).not.toThrow();
  });

  it('goes on when a listener throws', () => {
    const book = new MemberBook();
    const heard: string[] = [];
    book.listen(() => {
      throw new Error('broken listener');
    });
    book.listen((event) => heard.push(event.type));
    book.set('s1', stored());
    expect(heard).toEqual(['joined']);
    expect(book.size).toBe(1);
  });
});

describe('commonAttributes', () => {
  it('gives the attributes every endpoint the agent provides has, with the same value', async () => {
    const { commonAttributes } = await import('../../src/agent/member-record.ts');
    const provide = (attributes: Record<string, string>) => ({ attributes }) as never;
    const service = (...attributes: Array<Record<string, string>>) => ({ provides: attributes.map(provide) }) as never;
    expect(commonAttributes([service({ dc: 'a', az: '1', role: 'x' }, { dc: 'a', az: '1' }), service({ dc: 'a', az: '2' })])).toEqual({
      dc: 'a',
    });
    expect(commonAttributes([service(), service({ dc: 'a' })])).toEqual({ dc: 'a' });
    expect(commonAttributes([service()])).toEqual({});
  });
});
