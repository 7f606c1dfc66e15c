// Split horizon over real sockets: the same question from the stack network (here 127.0.0.2) and from
// anywhere else (127.0.0.1) gets the container's address and port, or the advertised ones.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import { LocalView } from '../../src/hostdns/local-view.ts';
import { Registry } from '../../src/registry/registry.ts';
import { dig, startDns } from '../helpers/dns.ts';

let server: DnsServer;
let port: number;
const localWeb = {
  name: 'http.web.hello.dev',
  advertised: { host: '172.17.0.1', port: 32768, protocol: 'tcp' as const },
  container: { host: '172.18.0.3', port: 8080, protocol: 'tcp' as const },
};
const table = { local: [localWeb] };
let view: LocalView;

// A fresh registry, table and server for every test: one test moves the container.
beforeEach(async () => {
  table.local = [localWeb];
  const registry = new Registry();
  registry.provide({
    name: 'http.web.hello.dev',
    address: { host: '172.17.0.1', port: 32768, protocol: 'tcp' },
    attributes: {},
    owner: 'a',
  });
  registry.provide({ name: 'http.web.hello.dev', address: { host: '10.0.0.7', port: 31000, protocol: 'tcp' }, attributes: {}, owner: 'b' });
  view = new LocalView(registry, () => table.local);
  ({ server, port } = await startDns(registry, { localView: { registry: view, serves: (address) => address === '127.0.0.2' } }));
});
afterEach(() => server.close());

const SRV = '_http._tcp.web.hello.dev.disco';

describe('split horizon by source address', () => {
  it('from the stack network: the local container at its own address and port; the remote one as advertised', async () => {
    const srv = await dig(port, '-b', '127.0.0.2', SRV, 'SRV');
    expect(srv.answer).toEqual([`${SRV}. 5 IN SRV 1 1 31000 10-0-0-7.addr.disco.`, `${SRV}. 5 IN SRV 1 1 8080 172-18-0-3.addr.disco.`]);
    const a = await dig(port, '-b', '127.0.0.2', '+short', 'web.hello.dev.disco', 'A');
    expect(a.raw.trim().split('\n').sort()).toEqual(['10.0.0.7', '172.18.0.3']);
  });

  it('from anywhere else: the advertised addresses, from the same cache without mixing them up', async () => {
    const srv = await dig(port, SRV, 'SRV');
    expect(srv.answer).toEqual([`${SRV}. 5 IN SRV 1 1 31000 10-0-0-7.addr.disco.`, `${SRV}. 5 IN SRV 1 1 32768 172-17-0-1.addr.disco.`]);
    const a = await dig(port, '+short', 'web.hello.dev.disco', 'A');
    expect(a.raw.trim().split('\n').sort()).toEqual(['10.0.0.7', '172.17.0.1']);
  });

  it('a container that moves shows in the very next local answer', async () => {
    await dig(port, '-b', '127.0.0.2', '+short', 'web.hello.dev.disco', 'A'); // cached
    table.local = [{ ...table.local[0]!, container: { host: '172.18.0.9', port: 8080, protocol: 'tcp' } }];
    view.refresh();
    const a = await dig(port, '-b', '127.0.0.2', '+short', 'web.hello.dev.disco', 'A');
    expect(a.raw.trim().split('\n').sort()).toEqual(['10.0.0.7', '172.18.0.9']);
  });
});
