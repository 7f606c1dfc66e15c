// Issue 26 §5: the first question at 100,000 endpoints built the zone's view whole, with the event
// loop held for seconds. The views are now made with the server, in slices of `viewSlice`
// provisions, one turn of the event loop each: other work runs between them, and a question for
// the zone waits for the whole view. Told by order and by turns, never by time.

import { describe, expect, it } from 'vitest';
import { RCODE, TYPE } from '../../src/dns/constants.ts';
import { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { readReply, wireQuery } from '../helpers/dns.ts';
import { quietLogger } from '../helpers/logging.ts';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function registryOf(count: number): Registry {
  const registry = new Registry();
  for (let i = 0; i < count; i++) {
    const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    registry.provide({ name: `http.s${i % 250}.big.prod`, address: { host, port: 8080, protocol: 'tcp' }, attributes: {}, owner: 't' });
  }
  return registry;
}

/** A UDP peer whose replies, sent later, are kept. */
function laterPeer() {
  const sent: Buffer[] = [];
  const peer = { udp: { send: (reply: Buffer) => sent.push(reply) }, to: { address: '127.0.0.1', port: 5353 } } as never;
  return { sent, peer };
}

describe('zone views built in slices', () => {
  it('answer a question asked during the build once the view is whole, with other work run between the slices', async () => {
    const registry = registryOf(5000);
    const server = new DnsServer(registry, { logger: quietLogger, viewSlice: 500 });
    let whole = false;
    void server.ready().then(() => {
      whole = true;
    });
    const { sent, peer } = laterPeer();
    // Every address of s7 (20 of them) fits one reply: none may be missing.
    const question = wireQuery('s7.big.prod.disco', TYPE.A, { edns: { size: 1232 } });
    expect(server.handle(question, peer)).toBeUndefined();
    // Other work gets turns while the view is still being built, and the question is not answered from part of it.
    const during: boolean[] = [];
    for (let at = 0; at < 3; at++) {
      await turn();
      during.push(whole || sent.length > 0);
    }
    expect(during).toEqual([false, false, false]);
    await server.ready();
    await turn();
    expect(sent).toHaveLength(1);
    expect(readReply(sent[0]!)).toMatchObject({ rcode: RCODE.noError, counts: [1, 20, 0, 1] });
    // Whole now: the next question is answered at once.
    expect(readReply(server.handle(question, peer)!).counts[1]).toBe(20);
  });

  it('sees a change made during the build, whether to a provision already read or one still to come', async () => {
    const registry = registryOf(5000);
    const server = new DnsServer(registry, { logger: quietLogger, viewSlice: 500 });
    const [first, last] = [registry.list()[0]!, registry.list().at(-1)!];
    registry.drop(first.id);
    registry.drop(last.id);
    registry.provide({ name: 'http.late.big.prod', address: { host: '10.99.0.1', port: 80, protocol: 'tcp' }, attributes: {}, owner: 't' });
    await server.ready();
    const { peer } = laterPeer();
    const count = (name: string) => readReply(server.handle(wireQuery(name, TYPE.A, { edns: { size: 1232 } }), peer)!).counts[1];
    expect(count(`${first.name.split('.')[1]}.big.prod.disco`)).toBe(19);
    expect(count(`${last.name.split('.')[1]}.big.prod.disco`)).toBe(19);
    expect(count('late.big.prod.disco')).toBe(1);
  });

  it('answer SERVFAIL at once past the questions that may wait for a build', async () => {
    const server = new DnsServer(registryOf(2000), { logger: quietLogger, viewSlice: 500, maxWaiting: 1 });
    const { sent, peer } = laterPeer();
    expect(server.handle(wireQuery('s1.big.prod.disco', TYPE.A), peer)).toBeUndefined();
    const refused = server.handle(wireQuery('s2.big.prod.disco', TYPE.A, { id: 77 }), peer);
    expect(refused && readReply(refused)).toMatchObject({ id: 77, rcode: RCODE.servFail });
    await server.ready();
    await turn();
    expect(sent.map((reply) => readReply(reply).rcode)).toEqual([RCODE.noError]);
  });
});
