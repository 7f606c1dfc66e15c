import { describe, expect, it } from 'vitest';
import { hostUpstreams, nameservers } from '../../../src/hostdns/resolv-conf.ts';

describe('the host resolvers the host DNS forwards to', () => {
  it('reads nameserver lines in order, and nothing else', () => {
    const text =
      '# generated\nsearch example.com\nnameserver 10.0.0.2\noptions ndots:1\nnameserver  fd00::53 \nnameserver bogus\nnameserver fe80::1%eth0\n';
    expect(nameservers(text)).toEqual(['10.0.0.2', 'fd00::53', 'fe80::1%eth0']);
  });

  it('uses the listed resolvers that are not loopback', () => {
    expect(hostUpstreams('nameserver 127.0.0.1\nnameserver 10.0.0.2\n', 'nameserver 10.9.9.9\n')).toEqual([{ host: '10.0.0.2', port: 53 }]);
  });

  it('replaces a loopback stub by the resolvers behind systemd-resolved, as Docker does', () => {
    expect(hostUpstreams('nameserver 127.0.0.53\noptions edns0\n', 'nameserver 10.9.9.9\nnameserver ::1\nnameserver 10.9.9.8\n')).toEqual([
      { host: '10.9.9.9', port: 53 },
      { host: '10.9.9.8', port: 53 },
    ]);
  });

  it('keeps a loopback stub when nothing else is known: the host DNS forwards from the host, where it is reachable', () => {
    expect(hostUpstreams('nameserver 127.0.0.53\n', undefined)).toEqual([{ host: '127.0.0.53', port: 53 }]);
    expect(hostUpstreams('', undefined)).toEqual([]);
  });
});
