// What the client tests against the scripted server share: endpoints to send, a connected client,
// a watch, and a guard that turns a hang into a failure that names what hung.

import { DiscoClient, type DiscoClientOptions, type WatchEvent } from '../../src/client/client.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { quietLogger } from '../helpers/logging.ts';
import { sleep } from '../helpers/wait.ts';
import { type FakeConnection, FakeDisco, type Message } from './fake-disco.ts';

export const NAME = 'mysql.db.blog.prod';

export const ep = (id: string, host: string, port = 3306) => ({ id, name: NAME, host, port, protocol: 'tcp', attrs: {} });
export const many = (count: number, prefix = 'p') =>
  Array.from({ length: count }, (_, i) => ep(`${prefix}${i}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
export const hosts = (endpoints: ReadonlyArray<{ host: string }>) => endpoints.map((e) => e.host);

export async function fakeDisco(): Promise<FakeDisco> {
  const fake = await FakeDisco.start();
  onCleanup(() => fake.close());
  return fake;
}

/** A client connected to `fake`, whose first connection is welcomed with `welcome`. */
export async function connected(fake: FakeDisco, welcome: Message = {}, options: Partial<DiscoClientOptions> = {}) {
  const connecting = DiscoClient.connect({
    host: '127.0.0.1',
    port: fake.port,
    name: 'test',
    logger: quietLogger,
    backoffMinMs: 20,
    backoffMaxMs: 50,
    ...options,
  });
  const first = await fake.connection(fake.connections.length);
  await first.welcome(welcome);
  const client = await connecting;
  onCleanup(() => client.close());
  return { client, first };
}

/** A provision of NAME at 10.0.0.5:3306, which `connection` answers with the id `provision`. */
export async function provided(client: DiscoClient, connection: FakeConnection, provision: string) {
  const providing = client.provide({ name: NAME, host: '10.0.0.5', port: 3306 });
  await connection.answer('provide', { provision });
  return providing;
}

/** A watch whose snapshot `connection` answers with `endpoints`. */
export async function watching(client: DiscoClient, connection: FakeConnection, sub: string, endpoints: Message[]) {
  const events: Array<WatchEvent & { at: number }> = [];
  const watch = client.require({ name: NAME }, (event) => events.push({ ...event, at: Date.now() }));
  await connection.answer('require', { sub, seq: 0, endpoints });
  return { watch: await watch, events };
}

/** Fails with `what` instead of hanging when `promise` does not settle in time. */
export function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(`${what} did not settle in ${ms} ms`)))]);
}
