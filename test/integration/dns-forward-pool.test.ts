// What forwarding may cost: queries for an upstream that never answers share a few sockets, at most
// `maxForwards` wait at once and the next get SERVFAIL at once; a forward still works after. And a
// reply is taken only with the id AND the question that were sent.

import { createSocket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { POOL_SOCKETS } from '../../src/dns/forward.ts';
import { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { readReply, replyWith, startUpstream, wireQuery } from '../helpers/dns.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually } from '../helpers/wait.ts';

const openFds = () => readdirSync('/proc/self/fd').length;

describe('forwarding to an upstream that does not answer', () => {
  it('holds a few sockets for 200 queries, SERVFAILs past 50 at once, and forwards again once the upstream answers', async () => {
    let answering = false;
    const upstream = await startUpstream(
      (query, reply) => answering && reply(replyWith(query, 7)),
      () => {},
    );
    onCleanup(() => upstream.close());
    const server = new DnsServer(new Registry(), {
      host: '127.0.0.1',
      port: 0,
      logger: quietLogger,
      recursors: [{ host: '127.0.0.1', port: upstream.port }],
      forwardTimeoutMs: 1500,
      maxForwards: 50,
    });
    const { udp } = await server.listen();
    onCleanup(() => server.close());
    const client = createSocket('udp4');
    onCleanup(() => client.close());
    const replies: Buffer[] = [];
    client.on('message', (message) => replies.push(message));
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));

    const before = openFds();
    for (let id = 1; id <= 200; id++) client.send(wireQuery(`host${id}.example.test`, 1, { id }), udp.port, '127.0.0.1');
    // 150 past the cap, answered SERVFAIL without waiting for the upstream's timeout.
    await eventually(() => replies.length >= 150, 1000, '150 SERVFAIL replies');
    expect(replies.every((reply) => readReply(reply).rcode === 2)).toBe(true);
    expect(server.forwardLoad).toEqual({ inFlight: 50, sockets: POOL_SOCKETS });
    expect(openFds() - before).toBeLessThanOrEqual(POOL_SOCKETS);

    await eventually(() => server.forwardLoad.inFlight === 0, 5000, 'the waiting forwards to time out');
    // Their SERVFAILs may still be on their way when the count drops: every query gets its one reply first.
    await eventually(() => replies.length >= 200, 3000, 'a reply to each of the 200 queries');
    expect(replies.every((reply) => readReply(reply).rcode === 2)).toBe(true);
    answering = true;
    replies.length = 0;
    client.send(wireQuery('www.example.test', 1, { id: 4242 }), udp.port, '127.0.0.1');
    const answer = readReply(await eventually(() => replies[0], 3000, 'an answer'));
    expect(answer).toMatchObject({ id: 4242, rcode: 0 });
  });

  it('drops a reply with the right id for another question, and takes the right one after it', async () => {
    const upstream = await startUpstream(
      (query, reply) => {
        const other = replyWith(wireQuery('elsewhere.example.test', 1, { id: query.readUInt16BE(0) }), 9);
        reply(other);
        setTimeout(() => reply(replyWith(query, 7)), 50);
      },
      () => {},
    );
    onCleanup(() => upstream.close());
    const server = new DnsServer(new Registry(), {
      host: '127.0.0.1',
      port: 0,
      logger: quietLogger,
      recursors: [{ host: '127.0.0.1', port: upstream.port }],
    });
    const { udp } = await server.listen();
    onCleanup(() => server.close());
    const client = createSocket('udp4');
    onCleanup(() => client.close());
    const reply = new Promise<Buffer>((resolve) => client.once('message', resolve));
    client.send(wireQuery('www.example.test', 1, { id: 77 }), udp.port, '127.0.0.1');
    const received = await reply;
    const answer = readReply(received);
    expect(answer).toMatchObject({ id: 77, rcode: 0 });
    expect(answer.question).toEqual(readReply(wireQuery('www.example.test', 1, { id: 77 })).question);
    expect(received.at(-1)).toBe(7);
  });
});
