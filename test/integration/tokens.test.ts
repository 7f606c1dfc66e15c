// Tokens: a hello carries one, and the server's config says what each may provide and require.
// A request outside the scope gets `forbidden` and changes nothing; an unknown token gets no
// session; without tokens configured, everything is allowed as before.

import { consola } from 'consola';
import { describe, expect, it } from 'vitest';
import { attachStack } from '../../src/agent/network-attachment.ts';
import { DiscoClient, DiscoError } from '../../src/client/client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { compiledStack, ENVIRONMENT, STACK, service } from '../helpers/compiled.ts';
import { startDisco } from '../helpers/disco.ts';
import { FakeEngine } from '../helpers/fake-engine.ts';
import { quietLogger } from '../helpers/logging.ts';
import { type Message, WirePeer } from '../helpers/wire.ts';

const DB_TOKEN = 'db-token-0123456789abcdef';
const WEB_TOKEN = 'web-token-0123456789abcdef';
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const tokens = [
  // The database of blog in prod: it provides its own endpoints, and requires nothing.
  { token: DB_TOKEN, provide: ['*.db.blog.prod'], require: [] },
  // The web service: provides itself, requires anything of blog in prod.
  { token: WEB_TOKEN, provide: ['*.web.blog.prod'], require: ['*.*.blog.prod'] },
  { token: ADMIN_TOKEN, provide: [], require: ['*.*.*.*'] },
];

async function server(withTokens = true): Promise<DiscoServer> {
  const started = await startDisco(withTokens ? { tokens } : {});
  onCleanup(() => started.close());
  return started;
}

async function peer(disco: DiscoServer, token?: string): Promise<WirePeer> {
  const opened = await WirePeer.open(disco.address().port);
  onCleanup(() => opened.destroy());
  const welcome = await opened.request({ op: 'hello', id: 0, version: 1, ...(token ? { token } : {}) });
  expect(welcome.ok).toBe(true);
  return opened;
}

let nextId = 1;
const provide = (name: string, port = 3306): Message => ({ op: 'provide', id: nextId++, name, host: '10.0.0.5', port });
const require_ = (name: string): Message => ({ op: 'require', id: nextId++, name });
const list = (name?: string): Message => ({ op: 'list', id: nextId++, ...(name ? { name } : {}) });

describe('tokens', () => {
  it('lets a token provide and require what its scope covers', async () => {
    const disco = await server();
    const db = await peer(disco, DB_TOKEN);
    const web = await peer(disco, WEB_TOKEN);
    expect((await db.request(provide('mysql.db.blog.prod'))).ok).toBe(true);
    const watched = await web.request(require_('mysql.db.blog.prod'));
    expect(watched.ok).toBe(true);
    expect(watched.endpoints.map((e: Message) => e.name)).toEqual(['mysql.db.blog.prod']);
    expect((await web.request(require_('*.*.blog.prod'))).ok).toBe(true);
    expect((await web.request(list('*.db.blog.prod'))).endpoints).toHaveLength(1);
    expect((await web.request(provide('nginx.web.blog.prod', 80))).ok).toBe(true);
  });

  it.each([
    [
      'provide outside the provide scope',
      DB_TOKEN,
      provide('nginx.web.blog.prod', 80),
      'provide nginx.web.blog.prod (it may provide *.db.blog.prod)',
    ],
    ['provide in another environment', DB_TOKEN, provide('mysql.db.blog.dev'), 'provide mysql.db.blog.dev (it may provide *.db.blog.prod)'],
    [
      'require with a token that may require nothing',
      DB_TOKEN,
      require_('mysql.db.blog.prod'),
      'require mysql.db.blog.prod (it may require nothing)',
    ],
    ['require of another service', WEB_TOKEN, require_('mysql.db.shop.prod'), 'require mysql.db.shop.prod (it may require *.*.blog.prod)'],
    ['require of a pattern wider than the scope', WEB_TOKEN, require_('*.*.*.prod'), 'require *.*.*.prod (it may require *.*.blog.prod)'],
    ['list of everything', WEB_TOKEN, list(), 'list *.*.*.* (it may require *.*.blog.prod)'],
    ['list of another service', WEB_TOKEN, list('*.*.shop.prod'), 'list *.*.shop.prod (it may require *.*.blog.prod)'],
    [
      'provide with a token that may require everything and provide nothing',
      ADMIN_TOKEN,
      provide('x.db.blog.prod'),
      'provide x.db.blog.prod (it may provide nothing)',
    ],
  ])('refuses %s with forbidden', async (_what, token, request, message) => {
    const disco = await server();
    const client = await peer(disco, token);
    const reply = await client.request(request);
    expect(reply).toEqual({ re: request.id, ok: false, error: { code: 'forbidden', message: `this session's token may not ${message}` } });
    // The session goes on: a request in scope still works.
    const fine = token === DB_TOKEN ? provide('ok.db.blog.prod') : token === WEB_TOKEN ? require_('*.web.blog.prod') : list();
    expect((await client.request(fine)).ok).toBe(true);
  });

  it('changes nothing on a forbidden provide: no registration, no push to subscribers', async () => {
    const disco = await server();
    const admin = await peer(disco, ADMIN_TOKEN);
    const db = await peer(disco, DB_TOKEN);
    const sub = await admin.request(require_('*.*.*.*'));
    expect(sub.endpoints).toEqual([]);
    const refused = await db.request(provide('nginx.web.blog.prod', 80));
    expect(refused.error.code).toBe('forbidden');
    // A provide in scope, after: the only push the subscriber gets is for it.
    expect((await db.request(provide('mysql.db.blog.prod'))).ok).toBe(true);
    const push = await admin.next((m) => m.op === 'changed');
    expect(push.add.map((e: Message) => e.name)).toEqual(['mysql.db.blog.prod']);
    expect(push.seq).toBe(1);
    expect((await admin.request(list())).endpoints.map((e: Message) => e.name)).toEqual(['mysql.db.blog.prod']);
    expect(disco.registry.list().map((p) => p.name)).toEqual(['mysql.db.blog.prod']);
  });

  it('refuses a hello with an unknown token, or with none, and opens no session', async () => {
    const disco = await server();
    for (const [token, message] of [
      ['not-a-token-0123456789', 'the token in "hello" is not one this disco server knows'],
      [undefined, 'this disco server needs a token in "hello"'],
    ] as const) {
      const raw = await WirePeer.open(disco.address().port);
      onCleanup(() => raw.destroy());
      const reply = await raw.request({ op: 'hello', id: 0, version: 1, ...(token ? { token } : {}) });
      expect(reply).toEqual({ re: 0, ok: false, error: { code: 'forbidden', message } });
      const after = await raw.request(provide('mysql.db.blog.prod'));
      expect(after.error.code).toBe('no_session');
    }
    expect(disco.sessionCount).toBe(0);
    expect(disco.registry.list()).toEqual([]);
  });

  it('resumes a session only with the token that opened it', async () => {
    const disco = await server();
    const { port } = disco.address();
    const db = await WirePeer.open(port);
    onCleanup(() => db.destroy());
    const { session } = await db.request({ op: 'hello', id: 0, version: 1, token: DB_TOKEN });
    expect((await db.request(provide('mysql.db.blog.prod'))).ok).toBe(true);
    db.destroy();
    // Another token with the session's id gets a session of its own, and the provision stays the owner's.
    const other = await WirePeer.open(port);
    onCleanup(() => other.destroy());
    const stolen = await other.request({ op: 'hello', id: 0, version: 1, token: WEB_TOKEN, session });
    expect(stolen).toMatchObject({ ok: true, resumed: false });
    expect(stolen.session).not.toBe(session);
    const owner = await WirePeer.open(port);
    onCleanup(() => owner.destroy());
    expect(await owner.request({ op: 'hello', id: 0, version: 1, token: DB_TOKEN, session })).toMatchObject({
      ok: true,
      resumed: true,
      session,
    });
    expect(disco.registry.list().map((p) => p.name)).toEqual(['mysql.db.blog.prod']);
  });

  it('allows everything, with or without a token, when the server has no tokens', async () => {
    const disco = await server(false);
    const anyone = await peer(disco);
    const withToken = await peer(disco, DB_TOKEN);
    expect((await anyone.request(provide('nginx.web.shop.dev', 80))).ok).toBe(true);
    expect((await withToken.request(require_('*.*.*.*'))).ok).toBe(true);
    expect((await withToken.request(list())).endpoints).toHaveLength(1);
  });

  it('the client sends its token, and reports a refused hello and a forbidden request as errors', async () => {
    const disco = await server();
    const { port } = disco.address();
    const refused = await DiscoClient.connect({ host: '127.0.0.1', port, token: 'wrong-token-0123456789', logger: quietLogger }).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(DiscoError);
    expect((refused as DiscoError).code).toBe('forbidden');
    expect((refused as DiscoError).message).toBe('disco refused the session: the token in "hello" is not one this disco server knows');

    const db = await DiscoClient.connect({ host: '127.0.0.1', port, token: DB_TOKEN, logger: quietLogger });
    onCleanup(() => db.close());
    await db.provide({ name: 'mysql.db.blog.prod', host: '10.0.0.5', port: 3306 });
    const error = await db.require({ name: '*.*.blog.prod' }).catch((thrown: unknown) => thrown);
    expect((error as DiscoError).code).toBe('forbidden');
    expect(disco.registry.list().map((p) => p.name)).toEqual(['mysql.db.blog.prod']);
  });
});

describe('an agent whose token may not require every name', () => {
  it('runs its stack without the host DNS, and says so once', async () => {
    const disco = await server();
    const client = await DiscoClient.connect({ host: '127.0.0.1', port: disco.address().port, token: WEB_TOKEN, logger: quietLogger });
    onCleanup(() => client.close());
    const warnings: string[] = [];
    const logger = consola.create({
      level: 3,
      reporters: [{ log: (entry) => void (entry.type === 'warn' && warnings.push(entry.args.join(' '))) }],
    });
    const attached = await attachStack({
      engine: new FakeEngine(),
      compiled: compiledStack([service('web')]),
      identity: { stack: STACK, environment: ENVIRONMENT, project: 'p', host: 'h' },
      discovery: client,
      localEndpoints: () => [],
      logger,
      holdMs: 0,
    });
    expect(attached.dns).toBeUndefined();
    expect(attached.attachment.dns).toBeUndefined();
    expect(warnings).toEqual([
      "containers keep Docker's resolver: the host DNS watches *.*.*.*, and this session's token may not require *.*.*.* " +
        '(it may require *.*.blog.prod); give the agent a token that may require *.*.*.*, or say dns: none in the stack file',
    ]);
    expect(client.connected).toBe(true);
  });
});
