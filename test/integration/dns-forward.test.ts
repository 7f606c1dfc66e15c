// Forwarding names outside the zones: which upstream reply counts, what a dead or silent upstream
// costs, and that a question goes upstream by the transport it came by. The upstreams are stand-ins
// on 127.0.0.1 that answer (or fail) exactly as each test needs.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { HostPort } from '../../src/address.ts';
import { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { framed, rawUdp, replyWith, startUpstream, type Upstream, wireQuery } from '../helpers/dns.ts';
import { quietLogger } from '../helpers/logging.ts';

const run = promisify(execFile);
/** A forwarding server over `recursors`; dig's answer (+short) or status line for www.example.test. */
async function forwarder(recursors: HostPort[], forwardTimeoutMs = 2000) {
  const server = new DnsServer(new Registry(), { host: '127.0.0.1', port: 0, logger: quietLogger, recursors, forwardTimeoutMs });
  const { udp } = await server.listen();
  onCleanup(() => server.close());
  const dig = async (...args: string[]) =>
    (await run('dig', ['@127.0.0.1', '-p', String(udp.port), '+tries=1', ...args, 'www.example.test', 'A'])).stdout;
  return {
    port: udp.port,
    answer: async (...args: string[]) => (await dig('+time=5', '+short', ...args)).trim(),
    /** The status and the header's flags, e.g. `SERVFAIL qr rd ra`. */
    status: async (...args: string[]) => {
      const output = await dig('+time=5', ...args);
      return `${/status: (\w+)/.exec(output)?.[1]} ${/;; flags: ([^;]*);/.exec(output)?.[1]}`;
    },
  };
}

const local = (port: number): HostPort => ({ host: '127.0.0.1', port });
async function upstream(...handlers: Parameters<typeof startUpstream>): Promise<Upstream> {
  const started = await startUpstream(...handlers);
  onCleanup(() => started.close());
  return started;
}

/** Four bytes with the query's id and the response bit: too short to be a reply. */
const stub = (query: Buffer) => Buffer.from([query[0]!, query[1]!, 0x81, 0x80]);

describe('forwarding', () => {
  it('asks the upstream over the transport the question came by', async () => {
    const { port } = await upstream(
      (query, reply) => reply(replyWith(query, 1)),
      (query, socket) => socket.end(framed(replyWith(query, 2))),
    );
    const dns = await forwarder([local(port)]);
    expect(await dns.answer()).toBe('192.0.2.1');
    expect(await dns.answer('+tcp')).toBe('192.0.2.2');
  });

  it('passes on only the upstream reply with the query id, over UDP and TCP', async () => {
    const wrongId = (query: Buffer) => {
      const reply = replyWith(query, 66);
      reply.writeUInt16BE(query.readUInt16BE(0) ^ 0xffff, 0);
      return reply;
    };
    const { port } = await upstream(
      (query, reply) => {
        reply(wrongId(query));
        setTimeout(() => reply(replyWith(query, 10)), 50);
      },
      (query, socket) => {
        socket.write(framed(wrongId(query)));
        setTimeout(() => socket.end(framed(replyWith(query, 10))), 50);
      },
    );
    const dns = await forwarder([local(port)], 5000);
    expect(await dns.answer()).toBe('192.0.2.10');
    expect(await dns.answer('+tcp')).toBe('192.0.2.10');
  });

  it('takes a response with a whole header: not the query echoed back, nor a stub, nor a frame half read', async () => {
    const { port } = await upstream(
      (query, reply) => {
        reply(query); // the query itself: the right id, but no response bit
        reply(stub(query));
        setTimeout(() => reply(replyWith(query, 10)), 50);
      },
      (query, socket) => {
        const reply = framed(replyWith(query, 10));
        socket.write(Buffer.concat([framed(query), framed(stub(query)), reply.subarray(0, 20)]));
        setTimeout(() => socket.end(reply.subarray(20)), 50); // the reply's frame, in two writes
      },
    );
    const dns = await forwarder([local(port)], 5000);
    expect(await dns.answer()).toBe('192.0.2.10');
    expect(await dns.answer('+tcp')).toBe('192.0.2.10');
  });
});

describe('an upstream reply that is only a header', () => {
  it('is passed on as it is: twelve bytes are a whole reply', async () => {
    const header = (query: Buffer) => Buffer.from([query[0]!, query[1]!, 0x81, 0x85, 0, 0, 0, 0, 0, 0, 0, 0]); // QR RD RA, REFUSED
    const { port } = await upstream(
      (query, reply) => reply(header(query)),
      (query, socket) => socket.end(framed(header(query))),
    );
    const dns = await forwarder([local(port)]);
    const reply = await rawUdp(dns.port, wireQuery('www.example.test', 1, { id: 77 }));
    expect([...reply]).toEqual([0, 77, 0x81, 0x85, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('an upstream that is down or silent', () => {
  // A forward timeout far past dig's own: only an upstream passed over at once lets the next answer in time.
  const patient = 60_000;

  it('a refused upstream (nothing listens) is passed over at once, over UDP and TCP', async () => {
    const dead = await startUpstream(
      () => {},
      () => {},
    );
    dead.close();
    const { port } = await upstream(
      (query, reply) => reply(replyWith(query, 3)),
      (query, socket) => socket.end(framed(replyWith(query, 3))),
    );
    const dns = await forwarder([local(dead.port), local(port)], patient);
    expect(await dns.answer()).toBe('192.0.2.3');
    expect(await dns.answer('+tcp')).toBe('192.0.2.3');
  });

  it('over TCP, an upstream that closes without a reply is passed over at once', async () => {
    const closing = await upstream(
      () => {},
      (_, socket) => socket.end(),
    );
    const { port } = await upstream(
      () => {},
      (query, socket) => socket.end(framed(replyWith(query, 20))),
    );
    const dns = await forwarder([local(closing.port), local(port)], patient);
    expect(await dns.answer('+tcp')).toBe('192.0.2.20');
  });

  it('SERVFAIL once the forward timeout has passed, when the upstream says nothing, over UDP and TCP', async () => {
    const { port } = await upstream(
      () => {},
      () => {},
    );
    const dns = await forwarder([local(port)], 300);
    // Recursion was available, it failed: RA stays set.
    expect(await dns.status('+rec')).toBe('SERVFAIL qr rd ra');
    expect(await dns.status('+rec', '+tcp')).toBe('SERVFAIL qr rd ra');
  });
});
