// The default advertised address: this host's address on the route to a remote disco. A network
// namespace this test creates stands in for the other host; nothing is sent (a connected UDP socket
// only asks the kernel for its route).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAdvertise, routeSource } from '../../src/agent/advertise.ts';

const run = promisify(execFile);
const notRoot = process.getuid?.() !== 0 ? 'making a network namespace needs root' : undefined;
const NS = `scs-adv-${process.pid}`;
const HOST_SIDE = `scsadv${process.pid % 10000}a`;

describe.skipIf(notRoot !== undefined)(`the advertised address${notRoot ? ` (skipped: ${notRoot})` : ''}`, () => {
  beforeAll(async () => {
    await run('ip', ['netns', 'add', NS]);
    await run('ip', ['link', 'add', HOST_SIDE, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS]);
    await run('ip', ['addr', 'add', '10.231.7.1/24', 'dev', HOST_SIDE]);
    await run('ip', ['link', 'set', HOST_SIDE, 'up']);
    await run('ip', ['-n', NS, 'addr', 'add', '10.231.7.2/24', 'dev', 'eth0']);
    await run('ip', ['-n', NS, 'link', 'set', 'eth0', 'up']);
  });
  afterAll(async () => {
    await run('ip', ['link', 'del', HOST_SIDE]).catch(() => {});
    await run('ip', ['netns', 'del', NS]).catch(() => {});
  });

  it('is this host’s address on the route to a disco on another host', async () => {
    expect(await routeSource('10.231.7.2', 9640)).toBe('10.231.7.1');
    expect(await defaultAdvertise({ host: '10.231.7.2', port: 9640 }, async () => '172.17.0.1')).toBe('10.231.7.1');
  });

  it('is the Docker bridge gateway when disco is on loopback, as on one host', async () => {
    expect(await defaultAdvertise({ host: '127.0.0.1', port: 9640 }, async () => '172.17.0.1')).toBe('172.17.0.1');
    expect(await defaultAdvertise({ host: '127.0.0.1', port: 9640 }, async () => undefined)).toBe('127.0.0.1');
  });
});
