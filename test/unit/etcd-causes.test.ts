// What a server following etcd says of the provisions that go and the servers it sees: pure, so
// every case is told here without an etcd.

import { describe, expect, it } from 'vitest';
import { DropCauses, type KnownSession } from '../../src/server/etcd-causes.ts';
import { ServerPresence } from '../../src/server/server-presence.ts';

describe('why a provision went, as etcd shows it', () => {
  const sessions: Record<string, KnownSession> = {
    mine: { server: 'me', client: 'web-1' },
    theirs: { server: 'other', client: 'web-2' },
    anon: { server: 'other', client: '' },
  };
  const known = (session: string) => sessions[session];

  it('says what this server ended a session for; otherwise an expired lease here, an ended lease elsewhere', () => {
    const causes = new DropCauses('me');
    causes.end('mine', { reason: 'goodbye', client: 'web-1' });
    const ended = causes.ended(['mine', 'theirs', 'anon'], known);
    expect(Object.fromEntries(ended)).toEqual({
      mine: { reason: 'goodbye', client: 'web-1' },
      theirs: { reason: 'lease-ended', client: 'web-2' },
      anon: { reason: 'lease-ended', client: undefined },
    });
    causes.forget('mine');
    expect(causes.ended(['mine'], known).get('mine')).toEqual({ reason: 'lease-expired', client: 'web-1' });
  });

  it('takes a provision deleted while its session stays for an unprovide', () => {
    const causes = new DropCauses('me');
    const ended = causes.ended(['theirs'], known);
    expect(causes.of('theirs', ended, known('theirs'))).toEqual({ reason: 'lease-ended', client: 'web-2' });
    expect(causes.of('mine', ended, known('mine'))).toEqual({ reason: 'unprovide', client: 'web-1' });
  });
});

describe('the other disco servers, as the sessions they hold show them', () => {
  it('sees a server join with its first session and leave with its last, moves included, and never itself', () => {
    const told: string[] = [];
    const presence = new ServerPresence('me', (server, joined) => told.push(`${joined ? '+' : '-'}${server}`));
    presence.held('me', undefined);
    presence.held('a', undefined);
    presence.held('a', undefined);
    presence.held('b', 'a'); // One of a's sessions resumed on b.
    presence.released('a');
    presence.released('b');
    presence.released('me');
    presence.released('ghost'); // A session key it never counted.
    expect(told).toEqual(['+a', '+b', '-a', '-b']);
  });
});
