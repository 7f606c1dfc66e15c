// `hello` on servers that share their registry in etcd (one etcd member is enough here): the same
// rules as on one server for a connection's second hello, another version and a resume on the same
// server; and a session that another server opened is adopted, not resumed, with its provisions.

import { describe, expect, it } from 'vitest';
import { EtcdBackend } from '../../src/server/etcd-backend.ts';
import { EtcdClient } from '../../src/server/etcd-client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { ETCD, EtcdCluster } from '../helpers/etcd-cluster.ts';
import { recordingLogger } from '../helpers/logging.ts';
import { eventually, sleep } from '../helpers/wait.ts';
import { WirePeer } from '../helpers/wire.ts';

const timers = { heartbeatInterval: 200, heartbeatTimeout: 1000, grace: 2000 };

async function etcd(): Promise<EtcdCluster> {
  const started = await EtcdCluster.start(1);
  onCleanup(() => started.stop());
  return started;
}

/** A disco server on etcd, and the lines it logs (debug included). */
async function sharedDisco(urls: string[], retryMs?: number): Promise<{ server: DiscoServer; logged: (pattern: RegExp) => boolean }> {
  const { logger, logged } = recordingLogger();
  const backend = new EtcdBackend(new EtcdClient(urls, retryMs), {
    prefix: '/scs/',
    ttlMs: timers.heartbeatTimeout + timers.grace,
    logger,
  });
  const server = await startDisco({ ...timers, backend, logger });
  onCleanup(() => server.close());
  return { server, logged };
}

async function peer(server: DiscoServer): Promise<WirePeer> {
  const opened = await WirePeer.open(server.address().port);
  onCleanup(() => opened.destroy());
  return opened;
}

/** Pings from `peer` every heartbeat interval, as a client does, so that a wait on etcd longer than the heartbeat timeout (a loaded machine) does not cut it. */
function keepAlive(peer: WirePeer): void {
  const timer = setInterval(() => peer.send({ op: 'ping' }), timers.heartbeatInterval);
  onCleanup(() => clearInterval(timer));
}

describe.skipIf(!ETCD)(`hello on etcd${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`, { timeout: 30_000 }, () => {
  it('refuses a second hello and another version, and resumes a session this server holds', async () => {
    const { urls } = await etcd();
    const { server, logged } = await sharedDisco(urls);
    const first = await peer(server);
    const welcome = await first.request({ op: 'hello', id: 1, version: 1, client: 'web-1' });
    expect(welcome).toMatchObject({ re: 1, ok: true, resumed: false });
    expect(await first.request({ op: 'hello', id: 2, version: 1 })).toMatchObject({
      re: 2,
      ok: false,
      error: { code: 'bad_request', message: 'this connection already said hello' },
    });
    // A second hello sent before the first was answered (the server still waits on etcd): refused too.
    const eager = await peer(server);
    eager.send('{"op":"hello","id":1,"version":1}\n{"op":"hello","id":2,"version":1}\n');
    expect(await eager.reply(2)).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: 'this connection already said hello' },
    });
    expect(await eager.reply(1)).toMatchObject({ ok: true, resumed: false });
    expect(server.sessionCount).toBe(2);
    eager.destroy();

    const other = await peer(server);
    expect(await other.request({ op: 'hello', id: 1, version: 2 })).toMatchObject({ ok: false, error: { code: 'unsupported_version' } });

    // Back on the same server within the grace: resumed, as on one server.
    first.destroy();
    await eventually(() => server.connectionCount === 1, 3000, 'the lost connections');
    const sessions = server.sessionCount;
    const back = await peer(server);
    expect(await back.request({ op: 'hello', id: 1, version: 1, session: welcome.session })).toMatchObject({
      ok: true,
      session: welcome.session,
      resumed: true,
    });
    expect(server.sessionCount).toBe(sessions);
    // Resumed, the session is this server's to keep alive again: it outlives its lease's TTL.
    keepAlive(back);
    await sleep(timers.heartbeatTimeout + timers.grace + 1500);
    expect(back.closed).toBe(false);
    expect(await back.request({ op: 'list', id: 2 })).toMatchObject({ ok: true });
    expect(logged(new RegExp(`^session ${welcome.session} .*ended`))).toBe(false);
  });

  it('gives a session whose connection closed while etcd opened it its grace, then ends it', async () => {
    const { urls } = await etcd();
    const { server, logged } = await sharedDisco(urls);
    const gone = await peer(server);
    gone.send({ op: 'hello', id: 1, version: 1, client: 'gone-1' });
    gone.destroy();
    await eventually(() => logged(/^session \S+ opened$/), 3000, 'the session to open');
    await eventually(
      () => logged(/^session \S+ \(gone-1\) ended: lost-socket \(the grace of \d+ ms ran out\)$/),
      timers.grace + 3000,
      'the grace to run out',
    );
    expect(server.sessionCount).toBe(0);
  });

  it('adopts a session another server opened, with its provisions and keys, and does not call it resumed', async () => {
    const { urls } = await etcd();
    const a = await sharedDisco(urls);
    const b = await sharedDisco(urls);
    const onA = await peer(a.server);
    const welcome = await onA.request({ op: 'hello', id: 1, version: 1, client: 'web-1' });
    const { provision } = await onA.request({ op: 'provide', id: 2, name: 'http.web.hello.dev', host: '10.0.0.1', port: 80, key: 'http' });
    expect(a.logged(new RegExp(`^session ${welcome.session} opened$`))).toBe(true);
    onA.destroy();

    const onB = await peer(b.server);
    expect(await onB.request({ op: 'hello', id: 1, version: 1, session: welcome.session })).toMatchObject({
      ok: true,
      session: welcome.session,
      resumed: false,
    });
    expect(b.logged(new RegExp(`^session ${welcome.session} adopted from etcd$`))).toBe(true);
    // The same key finds the same provision: the client's provide after a move changes nothing.
    expect(await onB.request({ op: 'provide', id: 2, name: 'http.web.hello.dev', host: '10.0.0.1', port: 80, key: 'http' })).toMatchObject({
      ok: true,
      provision,
    });
    // A lets go of the session it lost, and goes on mirroring etcd.
    await eventually(() => a.server.sessionCount === 0, 5000, 'A to let the session go');
    await onB.request({ op: 'provide', id: 3, name: 'admin.web.hello.dev', host: '10.0.0.1', port: 81 });
    await eventually(() => a.server.registry.lookup('admin.web.hello.dev').length === 1, 5000, 'A to mirror a later provide');
    expect(await onB.request({ op: 'unprovide', id: 4, provision })).toMatchObject({ ok: true });
    // Letting go of a session in its grace, with no connection to tell, broke nothing on A.
    expect(a.logged(/watch lost|TypeError/)).toBe(false);
  });

  it('tells a client still connected to one server that its session moved to another', async () => {
    const { urls } = await etcd();
    const a = await sharedDisco(urls);
    const b = await sharedDisco(urls);
    const onA = await peer(a.server);
    keepAlive(onA);
    const welcome = await onA.request({ op: 'hello', id: 1, version: 1 });
    const onB = await peer(b.server);
    expect(await onB.request({ op: 'hello', id: 1, version: 1, session: welcome.session })).toMatchObject({ ok: true, resumed: false });
    expect(await onA.next((m) => m.ok === false, 5000)).toEqual({
      re: null,
      ok: false,
      error: { code: 'replaced', message: 'the session ended: it was resumed on another server' },
    });
    await onA.waitClosed();
    expect(a.server.sessionCount).toBe(0);
  });

  it('takes a hello again on a connection whose first could not open a session, for want of etcd', async () => {
    const cluster = await etcd();
    const { server, logged } = await sharedDisco(cluster.urls, 500);
    cluster.stop();
    const lonely = await peer(server);
    lonely.send({ op: 'hello', id: 1, version: 1 });
    const refused = await lonely.reply(1, 5000);
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'unavailable', message: expect.stringMatching(/^etcd at .+ did not answer: /) },
    });
    // The operator reads the same words in the server's log.
    expect(logged(new RegExp(`^${refused.error.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))).toBe(true);
    lonely.send({ op: 'hello', id: 2, version: 1 });
    expect(await lonely.reply(2, 5000)).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('names a new session on etcd by the client it gave, or else by its address', async () => {
    const { urls } = await etcd();
    const { server, logged } = await sharedDisco(urls);
    const named = await peer(server);
    const { session: namedSession } = await named.request({ op: 'hello', id: 1, version: 1, client: 'web-1' });
    const anonymous = await peer(server);
    const { session: anonymousSession } = await anonymous.request({ op: 'hello', id: 1, version: 1 });
    named.send({ op: 'bye', id: 2 });
    anonymous.send({ op: 'bye', id: 2 });
    await eventually(() => logged(new RegExp(`^session ${namedSession} \\(web-1\\) ended: goodbye$`)), 3000, 'the named session to end');
    await eventually(
      () => logged(new RegExp(`^session ${anonymousSession} \\(127\\.0\\.0\\.1:\\d+\\) ended: goodbye$`)),
      3000,
      'the anonymous session to end',
    );
    // etcd then tells this server that the sessions it ended are gone: old news, taken quietly.
    await sleep(1000);
    expect(logged(/watch lost|TypeError/)).toBe(false);
  });

  it('warns when it cannot end a session in etcd, and says which', async () => {
    const cluster = await etcd();
    const { server, logged } = await sharedDisco(cluster.urls, 500);
    const leaving = await peer(server);
    const { session } = await leaving.request({ op: 'hello', id: 1, version: 1 });
    cluster.stop();
    leaving.send({ op: 'bye', id: 2 });
    await eventually(
      () => logged(new RegExp(`^could not end session ${session} in etcd: etcd at .+ did not answer: `)),
      10_000,
      'the warning',
    );
  });
});
