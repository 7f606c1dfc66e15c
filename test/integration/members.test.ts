// Members on a real disco: a session states its member record and another reads it, a page at a
// time; the record is checked, capped, and allowed by the token; and a member goes with its session:
// at once on goodbye, after the grace when its agent is killed, after the heartbeat timeout and the
// grace when it falls silent.

import { describe, expect, it } from 'vitest';
import { DiscoClient } from '../../src/client/client.ts';
import { listMembers, stateMember } from '../../src/client/members.ts';
import type { DiscoServer, DiscoServerOptions } from '../../src/server/server.ts';
import { formatStatus } from '../../src/status/status-text.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { quietLogger } from '../helpers/logging.ts';
import { record } from '../helpers/member.ts';
import { eventually } from '../helpers/wait.ts';
import { WirePeer } from '../helpers/wire.ts';

/** A disco whose sessions outlive a loaded machine's pauses (the peers here do not ping), unless a test sets its own timers. */
async function disco(options: Partial<DiscoServerOptions> = {}): Promise<DiscoServer> {
  const server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 30_000, grace: 30_000, ...options });
  onCleanup(() => server.close());
  return server;
}

async function peer(server: DiscoServer, token?: string): Promise<WirePeer> {
  const opened = await WirePeer.open(server.address().port);
  onCleanup(() => opened.destroy());
  const welcome = await opened.request({ op: 'hello', id: 0, version: 1, ...(token ? { token } : {}) });
  expect(welcome.ok).toBe(true);
  return opened;
}

async function client(server: DiscoServer): Promise<DiscoClient> {
  const connected = await DiscoClient.connect({ host: '127.0.0.1', port: server.address().port, logger: quietLogger });
  onCleanup(() => connected.close());
  return connected;
}

describe('members', () => {
  it('are stated by one session and read by another; a new record replaces the last one whole', async () => {
    const server = await disco();
    const agent = await peer(server);
    expect(await agent.request({ op: 'member', id: 1, ...record() })).toEqual({ re: 1, ok: true });
    const observer = await peer(server);
    const first = await observer.request({ op: 'members', id: 1 });
    expect(first).toMatchObject({ re: 1, ok: true, members: [{ ...record() }] });
    expect(first.next).toBeUndefined();
    const [{ id, since, updated }] = first.members;
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(since).toBe(updated);

    expect((await agent.request({ op: 'member', id: 2, ...record({ phase: 'stopping', services: [] }) })).ok).toBe(true);
    const second = await observer.request({ op: 'members', id: 2 });
    expect(second.members).toEqual([{ id, since, updated: second.members[0].updated, ...record({ phase: 'stopping', services: [] }) }]);

    // Picked by stack, environment and service.
    expect((await observer.request({ op: 'members', id: 3, name: '*.*.blog.prod' })).members).toHaveLength(1);
    expect((await observer.request({ op: 'members', id: 4, name: '*.*.blog.dev' })).members).toEqual([]);
    expect((await observer.request({ op: 'members', id: 5, name: '*.web.blog.prod' })).members).toEqual([]);
  });

  it('refuses a record that breaks the rules, and one before hello, and keeps the last good one', async () => {
    const server = await disco();
    const agent = await peer(server);
    await agent.request({ op: 'member', id: 1, ...record() });
    expect(await agent.request({ op: 'member', id: 2, ...record(), address: 'not an address' })).toMatchObject({
      re: 2,
      ok: false,
      error: { code: 'bad_request', message: 'address: expected a host name or IP address like "10.0.0.5"' },
    });
    expect(server.members.book.list()[0]).toMatchObject(record());
    const early = await WirePeer.open(server.address().port);
    onCleanup(() => early.destroy());
    expect(await early.request({ op: 'members', id: 1 })).toMatchObject({ ok: false, error: { code: 'no_session' } });
    expect(await agent.request({ op: 'members', id: 3, after: '../../etc' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('are capped in number: one more is too_many_members, and room comes back when one leaves', async () => {
    const server = await disco({ maxMembers: 2 });
    const [a, b, c] = [await peer(server), await peer(server), await peer(server)];
    expect((await a.request({ op: 'member', id: 1, ...record({ host: 'a' }) })).ok).toBe(true);
    expect((await b.request({ op: 'member', id: 1, ...record({ host: 'b' }) })).ok).toBe(true);
    expect(await c.request({ op: 'member', id: 1, ...record({ host: 'c' }) })).toMatchObject({
      ok: false,
      error: { code: 'too_many_members', message: 'this disco server holds its maximum of 2 members' },
    });
    // A member stating itself again takes no more room.
    expect((await b.request({ op: 'member', id: 2, ...record({ host: 'b', phase: 'stopping' }) })).ok).toBe(true);
    expect((await a.request({ op: 'bye', id: 3 })).ok).toBe(true);
    expect((await c.request({ op: 'member', id: 2, ...record({ host: 'c' }) })).ok).toBe(true);
    expect(
      server.members.book
        .list()
        .map((m) => m.host)
        .sort(),
    ).toEqual(['b', 'c']);
  });

  it('come a page at a time, every one once, through the client', async () => {
    const server = await disco();
    const service = record().services[0]!;
    // About 2 KiB each: 40 of them take more than one 32 KiB page.
    const services = Array.from({ length: 8 }, (_, i) => ({ ...service, service: `s${i}` }));
    for (let i = 0; i < 40; i++) {
      const agent = await client(server);
      await stateMember(agent, record({ host: `h${i}`, services }));
    }
    const observer = await peer(server);
    const first = await observer.request({ op: 'members', id: 1 });
    expect(first.next).toEqual(expect.any(String));
    expect(first.members.length).toBeGreaterThan(0);
    expect(first.members.length).toBeLessThan(40);
    const all = await listMembers(await client(server));
    expect(all.map((m) => m.host).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `h${i}`).sort());
    expect(new Set(all.map((m) => m.id)).size).toBe(40);
  });

  it('go at once when their session says goodbye, after the grace when killed, after timeout and grace when silent', async () => {
    const server = await disco({ heartbeatInterval: 100, heartbeatTimeout: 600, grace: 500 });
    const [leaving, killed, silent] = [await peer(server), await peer(server), await peer(server)];
    for (const [at, agent] of [leaving, killed, silent].entries())
      expect((await agent.request({ op: 'member', id: 1, ...record({ host: `h${at}` }) })).ok).toBe(true);
    const silentSince = Date.now(); // the silent peer's last line
    const hosts = () =>
      server.members.book
        .list()
        .map((m) => m.host)
        .sort();
    expect(hosts()).toEqual(['h0', 'h1', 'h2']);

    await leaving.request({ op: 'bye', id: 2 });
    expect(hosts()).toEqual(['h1', 'h2']);

    // Killed: its socket closes at once, and the session waits out its grace.
    const killedAt = Date.now();
    killed.destroy();
    await eventually(() => !hosts().includes('h1'), 5000, 'the killed member to go');
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(500);

    // Silent: it answers no ping; the server takes it for dead after the timeout, then waits out the grace.
    await eventually(() => hosts().length === 0, 8000, 'the silent member to go');
    expect(Date.now() - silentSince).toBeGreaterThanOrEqual(600 + 500);
  });
});

describe('members with tokens', () => {
  const tokens = [
    { token: 'agent-token', provide: ['*.*.blog.prod'], require: ['*.*.blog.prod'] },
    { token: 'db-token', provide: ['*.db.blog.prod'], require: [] },
    { token: 'observer-token', provide: [], require: [], observe: ['*.*.*.prod'] },
  ];

  it('may state only what the token may provide and require, and be read only by a token that observes', async () => {
    const server = await disco({ tokens });
    const agent = await peer(server, 'agent-token');
    expect((await agent.request({ op: 'member', id: 1, ...record() })).ok).toBe(true);

    const db = await peer(server, 'db-token');
    expect(await db.request({ op: 'member', id: 1, ...record() })).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: "this session's token may not provide http.web.blog.prod (it may provide *.db.blog.prod)" },
    });
    const observer = await peer(server, 'observer-token');
    expect(await observer.request({ op: 'member', id: 1, ...record({ services: [] }) })).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: "this session's token may neither provide nor require anything, so it may state no member" },
    });

    expect((await observer.request({ op: 'members', id: 2, name: '*.*.*.prod' })).members).toHaveLength(1);
    expect(await observer.request({ op: 'members', id: 3 })).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: "this session's token may not observe *.*.*.* (it may observe *.*.*.prod)" },
    });
    // Requiring is not observing.
    expect(await agent.request({ op: 'members', id: 2, name: '*.*.blog.prod' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: "this session's token may not observe *.*.blog.prod (it may observe nothing)" },
    });
  });
});

describe('scs status', () => {
  it('prints the members of the disco it is given, as text and as JSON, with a token that observes', async () => {
    const server = await disco({
      tokens: [
        { token: 'agent-token', provide: ['*.*.*.*'], require: ['*.*.*.*'] },
        { token: 'observer-token', provide: [], require: [], observe: ['*.*.*.*'] },
      ],
    });
    const agent = await peer(server, 'agent-token');
    expect((await agent.request({ op: 'member', id: 1, ...record() })).ok).toBe(true);
    const at = ['--disco', `127.0.0.1:${server.address().port}`];

    const text = scs(['status', ...at], { SCS_TOKEN: 'observer-token' });
    expect(await text.exited).toBe(0);
    expect(text.stdout).toBe(formatStatus(server.members.book.list()));
    expect(text.stdout).toContain('requires db = mysql.db.blog.prod: 10.201.1.13:3306');

    const json = scs(['status', '--json', ...at], { SCS_TOKEN: 'observer-token' });
    expect(await json.exited).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(server.members.book.list());

    const picked = scs(['status', '*.*.shop.prod', '--format', 'json', ...at], { SCS_TOKEN: 'observer-token' });
    expect(await picked.exited).toBe(0);
    expect(JSON.parse(picked.stdout)).toEqual([]);

    const refused = scs(['status', ...at], { SCS_TOKEN: 'agent-token' });
    expect(await refused.exited).not.toBe(0);
    expect(refused.stderr).toContain("this session's token may not observe *.*.*.* (it may observe nothing)");
  });
});
