// The test helper that hands out ports for servers started elsewhere: outside the kernel's ephemeral
// range, never one a socket holds, and a start tried again only while its address is in use.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ephemeralRange,
  isAddressInUse,
  localPorts,
  outsideEphemeral,
  pickPorts,
  portsOutsideEphemeral,
  retryOnAddressInUse,
  startOnPortOutsideEphemeral,
} from '../helpers/ports.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

function listen(port: number): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject).listen(port, '127.0.0.1', () => {
      servers.push(server);
      resolve(server);
    });
  });
}

describe('the ephemeral range', () => {
  it('is read as the kernel writes it, and refused in one sentence when it is not a range', () => {
    expect(ephemeralRange('32768\t60999\n')).toEqual({ low: 32768, high: 60999 });
    expect(() => ephemeralRange('60999 32768')).toThrow(/does not hold a port range: "60999 32768"/);
    expect(() => ephemeralRange('busy')).toThrow(/does not hold a port range/);
  });

  it('leaves from 20000 up to below it, and above it', () => {
    expect(outsideEphemeral({ low: 32768, high: 60999 })).toEqual([
      { low: 20000, high: 32767 },
      { low: 61000, high: 65535 },
    ]);
    expect(outsideEphemeral({ low: 10000, high: 65535 })).toEqual([{ low: 1024, high: 9999 }]);
    expect(outsideEphemeral({ low: 1024, high: 65535 })).toEqual([]);
  });

  it('holds none of the ports handed out on this machine, and they are all different', () => {
    const ephemeral = ephemeralRange(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
    const ports = portsOutsideEphemeral(200);
    expect(new Set(ports).size).toBe(200);
    for (const port of ports) expect(port < ephemeral.low || port > ephemeral.high, `${port}`).toBe(true);
    const again = portsOutsideEphemeral(200);
    expect(again.filter((port) => ports.includes(port))).toEqual([]);
  });
});

describe('picking ports', () => {
  it('takes only ports of the ranges that are not taken', () => {
    const ranges = [
      { low: 100, high: 102 },
      { low: 200, high: 201 },
    ];
    const picked = pickPorts(2, ranges, new Set([100, 101, 102]));
    expect(picked.sort()).toEqual([200, 201]);
    for (let i = 0; i < 50; i++) expect([100, 101, 102, 200, 201]).toContain(pickPorts(1, ranges, new Set())[0]);
  });

  it('reaches both ends of each range', () => {
    const ranges = [
      { low: 100, high: 102 },
      { low: 200, high: 201 },
    ];
    expect(pickPorts(1, ranges, new Set(), () => 0)).toEqual([100]);
    expect(pickPorts(1, ranges, new Set(), () => 0.5)).toEqual([102]);
    expect(pickPorts(1, ranges, new Set(), () => 0.99)).toEqual([201]);
  });

  it('says so when there are not enough free ports, rather than looping', () => {
    expect(() => pickPorts(2, [{ low: 100, high: 101 }], new Set([101]))).toThrow(
      /no 2 free port\(s\) outside the ephemeral range \(2 there/,
    );
    expect(() => pickPorts(1, [], new Set())).toThrow(/no 1 free port/);
  });

  it('reads the local port of every socket a /proc/net table lists, and sees a listening server there', async () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
      '   1: 00000000000000000000000001000000:4E20 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 2',
    ].join('\n');
    expect(localPorts(table)).toEqual([8080, 20000]);
    const server = await listen(0);
    const { port } = server.address() as { port: number };
    expect(localPorts(readFileSync('/proc/net/tcp', 'utf8'))).toContain(port);
  });
});

describe('starting again on EADDRINUSE', () => {
  it('knows Node’s error and a child process’s words for it, and nothing else', async () => {
    const held = await listen(0);
    const taken = await listen((held.address() as { port: number }).port).catch((error: Error) => error);
    expect(isAddressInUse(taken)).toBe(true);
    expect(isAddressInUse(new Error('etcd exited (1): listen tcp 127.0.0.1:43825: bind: address already in use'))).toBe(true);
    expect(isAddressInUse(new Error('dnsmasq: failed to create listening socket for port 20001: Address in use'))).toBe(true);
    expect(isAddressInUse(new Error('etcd did not start'))).toBe(false);
    expect(isAddressInUse('address already in use')).toBe(false);
  });

  it('starts again, on a fresh port, while the port is taken, and returns what the start gave', async () => {
    const held = await listen(0);
    const heldPort = (held.address() as { port: number }).port;
    const tried: number[] = [];
    const server = await retryOnAddressInUse(() => {
      tried.push(tried.length < 2 ? heldPort : 0);
      return listen(tried.at(-1)!);
    });
    expect(tried).toEqual([heldPort, heldPort, 0]);
    expect(server.listening).toBe(true);
  });

  it('gives up after the attempts it was given, with the last failure', async () => {
    const held = await listen(0);
    const heldPort = (held.address() as { port: number }).port;
    let starts = 0;
    const failed = retryOnAddressInUse(() => {
      starts++;
      return listen(heldPort);
    }, 3);
    await expect(failed).rejects.toThrow(/^3 starts in a row found their address in use; the last: listen EADDRINUSE/);
    expect(starts).toBe(3);
  });

  it('does not start again after any other failure', async () => {
    let starts = 0;
    const failed = retryOnAddressInUse(async () => {
      starts++;
      throw new Error('etcd did not start: no leader');
    });
    await expect(failed).rejects.toThrow('etcd did not start: no leader');
    expect(starts).toBe(1);
  });

  it('starts on a port outside the ephemeral range', async () => {
    const ephemeral = ephemeralRange();
    const server = await startOnPortOutsideEphemeral(listen);
    const { port } = server.address() as { port: number };
    expect(port < ephemeral.low || port > ephemeral.high).toBe(true);
  });
});
