// The sockets a supervisor passes (systemd's socket activation): read from LISTEN_PID, LISTEN_FDS and
// LISTEN_FDNAMES, for this process only, and the host DNS's pair among them.

import { describe, expect, it } from 'vitest';
import { dnsSockets, passedSockets } from '../../../src/agent/passed-sockets.ts';
import { socketUnitOf } from '../../../src/agent/systemd-unit.ts';

describe('passed sockets', () => {
  it('are none without LISTEN_FDS, or when LISTEN_PID names another process (they were for a parent)', () => {
    expect(passedSockets({}, 42)).toEqual([]);
    expect(passedSockets({ LISTEN_PID: '41', LISTEN_FDS: '2' }, 42)).toEqual([]);
  });

  it('are the descriptors from 3 on, with their names, or "unknown" when unnamed', () => {
    expect(passedSockets({ LISTEN_PID: '42', LISTEN_FDS: '3', LISTEN_FDNAMES: 'dns:dns' }, 42)).toEqual([
      { fd: 3, name: 'dns' },
      { fd: 4, name: 'dns' },
      { fd: 5, name: 'unknown' },
    ]);
  });

  it('refuse, in one sentence, a count or pid that is not one', () => {
    for (const env of [
      { LISTEN_PID: '42', LISTEN_FDS: 'two' },
      { LISTEN_PID: '42', LISTEN_FDS: '17' },
      { LISTEN_PID: 'me', LISTEN_FDS: '2' },
      { LISTEN_FDS: '2' },
    ]) {
      expect(() => passedSockets(env, 42)).toThrow(/is not a supervisor's sockets/);
    }
  });

  it('give the host DNS the two named dns, UDP then TCP, and nothing when none is named so', () => {
    const passed = passedSockets({ LISTEN_PID: '42', LISTEN_FDS: '3', LISTEN_FDNAMES: 'metrics:dns:dns' }, 42);
    expect(dnsSockets(passed)).toEqual({ udp: 4, tcp: 5 });
    expect(dnsSockets(passedSockets({ LISTEN_PID: '42', LISTEN_FDS: '1' }, 42))).toBeUndefined();
    expect(() => dnsSockets([{ fd: 3, name: 'dns' }])).toThrow(/passed 1 socket\(s\) named dns; the host DNS takes two, UDP then TCP/);
  });
});

describe('the socket unit of a stack', () => {
  it('holds the DNS sockets on the gateway of the pinned subnet, named dns, UDP first, bound before the network exists', () => {
    const unit = socketUnitOf({ stack: 'blog', subnet: '10.89.0.0/24', dns: { upstreams: undefined } });
    const lines = unit.split('\n');
    expect(lines).toContain('ListenDatagram=10.89.0.1:53');
    expect(lines).toContain('ListenStream=10.89.0.1:53');
    expect(lines).toContain('FileDescriptorName=dns');
    expect(lines).toContain('FreeBind=yes');
    expect(lines).toContain('Service=scs-agent@blog.service');
    expect(lines.indexOf('ListenDatagram=10.89.0.1:53')).toBeLessThan(lines.indexOf('ListenStream=10.89.0.1:53'));
  });

  it('is refused for a stack without a pinned subnet, or without a host DNS', () => {
    expect(() => socketUnitOf({ stack: 'blog', subnet: undefined, dns: undefined })).toThrow(
      /does not pin its network's subnet.*add network: \{ subnet: 10\.89\.0\.0\/24 \}/,
    );
    expect(() => socketUnitOf({ stack: 'blog', subnet: '10.89.0.0/24', dns: 'none' })).toThrow(/dns: none: it has no host DNS sockets/);
  });
});
