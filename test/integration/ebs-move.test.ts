// A move with its data: a service whose volume is on EBS moves from one agent's host to another's,
// stop-first, with `scs move`, and its data is there. moto's EC2 server stands in for AWS and one
// loop device for the disk; each agent has its own instance and its own host name (a UTS namespace),
// and they share one real disco and one Docker daemon. A move to a host of another zone is refused.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/engine.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { mountedAt } from '../../src/volumes/block-device.ts';
import { collect, SCS, scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { loopProblem } from '../helpers/loop-device.ts';
import { MOTO_CREDENTIALS, type Moto, motoProblem, startMoto } from '../helpers/moto.ts';
import { eventuallyAsync } from '../helpers/wait.ts';

const problem = dockerProblem ?? motoProblem() ?? loopProblem();
const STACK = `ebsmove${process.pid}`;
// eb-d is in eb-a's zone, but its disk never shows up (no device under its device folder): a move
// there fails half-way, with the volume attached to its instance.
const ZONES = { 'eb-a': 'us-east-1a', 'eb-b': 'us-east-1a', 'eb-c': 'us-east-1b', 'eb-d': 'us-east-1a' } as const;
type Host = keyof typeof ZONES;
const HOSTS = Object.keys(ZONES) as Host[];

describe.skipIf(problem !== undefined)(`scs move of a service with its data on EBS${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let moto: Moto;
  let server: DiscoServer;
  let dir: string;
  let loop: string;
  const instances = {} as Record<Host, string>;
  const disco = () => `127.0.0.1:${server.address().port}`;
  const mountpoint = () => join(dir, 'mnt');
  const files = () => ['-f', join(dir, 'scs-stack.yaml'), '--disco', disco()];
  const envOf = (host: Host) => ({
    ...process.env,
    ...MOTO_CREDENTIALS,
    SCS_EC2_ENDPOINT: moto.endpoint,
    SCS_EC2_IMDS_ENDPOINT: moto.endpoint,
    SCS_EC2_INSTANCE_ID: instances[host],
    SCS_EC2_AZ: ZONES[host],
    SCS_EBS_DEVICE_ROOT: join(dir, host, 'dev'),
    SCS_EC2_WAIT_SECONDS: host === 'eb-d' ? '3' : '20',
  });
  /** `scs ARGS` on `host`: its own host name, instance and zone; an agent it starts stays so. */
  const scsOn = (host: Host, args: string[]) =>
    collect(
      spawn('unshare', ['--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', host, process.execPath, SCS, ...args, '--project-name', host], {
        cwd: dir,
        env: envOf(host),
      }),
    );
  const ok = async (running: ReturnType<typeof scs>) => {
    expect(await running.exited, `${running.stdout}\n${running.stderr}`).toBe(0);
    return running;
  };
  const db = async () => (await engine.list({ [LABEL.stack]: STACK, [LABEL.service]: 'db' })).filter((c) => c.state === 'running');
  const volumes = async () =>
    (await moto.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:scs:stack', Values: [STACK] }] }))).Volumes ?? [];

  beforeAll(async () => {
    moto = await startMoto();
    for (const host of HOSTS) instances[host] = await moto.runInstance(ZONES[host]);
    server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000, grace: 5000 });
    dir = mkdtempSync(join(tmpdir(), 'scs-ebs-move-'));
    execFileSync('truncate', ['-s', '64M', join(dir, 'disk.img')]);
    loop = execFileSync('losetup', ['--find', '--show', join(dir, 'disk.img')], { encoding: 'utf8' }).trim();
    for (const host of HOSTS) {
      mkdirSync(join(dir, host, 'dev'), { recursive: true });
      if (host !== 'eb-d') symlinkSync(loop, join(dir, host, 'dev', 'xvdf'));
    }
    mkdirSync(join(dir, 'db'));
    writeFileSync(join(dir, 'db/scs.yaml'), 'from: scs-base:busybox\nvolumes:\n  data: /var/lib/db\ncommand: [sleep, "3600"]\n');
    writeFileSync(
      join(dir, 'scs-stack.yaml'),
      [
        `name: ${STACK}`,
        'environment: test',
        'dns: none',
        'services:',
        '  db:',
        '    image: ./db',
        '    restart: "no"',
        '    volumes:',
        `      data: { method: aws-ec2-ebs, size: 1, type: gp3, mountpoint: ${mountpoint()} }`,
        '',
      ].join('\n'),
    );
    // eb-a first: it claims db, whose data is on its volume; the others run the same files and wait.
    for (const host of HOSTS) await ok(scsOn(host, ['up', '-d', '--zone', ZONES[host], ...files()]));
  }, 180_000);

  afterAll(async () => {
    for (const host of HOSTS) await scsOn(host, ['down', ...files()]).exited;
    if (mountedAt(mountpoint())) execFileSync('umount', [mountpoint()]);
    if (loop) execFileSync('losetup', ['-d', loop]);
    await moto?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('runs db on the host that claimed it, with its zone, and refuses a move to another zone at once', async () => {
    const [running] = await db();
    expect(running?.labels[LABEL.agent]).toBe('eb-a');
    expect(await engine.exec(running!.id, ['sh', '-c', 'echo row-1 >> /var/lib/db/rows'], {})).toEqual({ exitCode: 0, output: '' });
    const placement = await ok(scs(['placement', '--json', '--disco', disco(), `*.*.${STACK}.test`]));
    expect(JSON.parse(placement.stdout)).toMatchObject([{ placedOn: 'host eb-a', cause: 'claim', data: 'follows', runsOn: ['eb-a'] }]);
    const across = scs(['move', `db.${STACK}.test`, '--to', 'eb-c', '--disco', disco()]);
    expect(await across.exited).toBe(1);
    expect(across.stderr).toContain(
      "db's data is on a volume in zone us-east-1a, and host eb-c is in zone us-east-1b: a volume moves only within its zone",
    );
  }, 60_000);

  it('moves db to eb-b stop-first: detached from one instance, attached to the other, its data there', async () => {
    const seen: Array<{ at: number; on: string[] }> = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        seen.push({ at: Date.now(), on: (await db()).map((c) => c.labels[LABEL.agent] ?? '?') });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await ok(scs(['move', `db.${STACK}.test`, '--to', 'eb-b', '--disco', disco()]));
    } finally {
      watching = false;
      await watch;
    }
    const [running] = await db();
    expect(running?.labels[LABEL.agent]).toBe('eb-b');
    expect(await engine.exec(running!.id, ['cat', '/var/lib/db/rows'], {})).toEqual({ exitCode: 0, output: 'row-1\n' });
    // Attached to one instance only, by moto's records, and mounted once, by the mount table.
    const [volume] = await volumes();
    expect(volume?.Attachments?.map((a) => [a.InstanceId, a.State])).toEqual([[instances['eb-b'], 'attached']]);
    expect(mountedAt(mountpoint())).toBe(loop);
    // One writer: never on two hosts at once.
    expect(seen.filter(({ on }) => on.length > 1)).toEqual([]);
    const lastOnA = seen.filter(({ on }) => on.includes('eb-a')).at(-1)?.at ?? 0;
    const firstOnB = seen.find(({ on }) => on.includes('eb-b'))?.at ?? 0;
    console.info(`[ebs-move] db with its EBS volume moved eb-a → eb-b: no container for ${firstOnB - lastOnA} ms (sampled every 100 ms)`);
    expect(firstOnB).toBeGreaterThan(lastOnA);
  }, 120_000);

  it('does not start the old copy when eb-a starts again with the same files', async () => {
    await ok(scsOn('eb-a', ['down', ...files()]));
    await ok(scsOn('eb-a', ['up', '-d', '--zone', ZONES['eb-a'], ...files()]));
    expect((await db()).map((c) => c.labels[LABEL.agent])).toEqual(['eb-b']);
    expect((await volumes())[0]?.Attachments?.map((a) => a.InstanceId)).toEqual([instances['eb-b']]);
  }, 120_000);

  it('places db back on eb-b when its disk never shows up on eb-d, half-way: attached to one instance, its data there', async () => {
    const failed = scs(['move', `db.${STACK}.test`, '--to', 'eb-d', '--disco', disco()]);
    expect(await failed.exited, failed.stderr).toBe(1);
    expect(failed.stderr).toContain(`db.${STACK}.test was not moved to host eb-d: `);
    expect(failed.stderr).toContain('no block device appeared');
    // eb-d lets go of the volume it attached, and eb-b takes it back and starts db again.
    const running = await eventuallyAsync(
      async () => {
        const found = await db();
        return found.length === 1 && found[0]!.labels[LABEL.agent] === 'eb-b' && found[0];
      },
      60_000,
      'db back on eb-b',
    );
    expect(await engine.exec(running.id, ['cat', '/var/lib/db/rows'], {})).toEqual({ exitCode: 0, output: 'row-1\n' });
    expect((await volumes())[0]?.Attachments?.map((a) => [a.InstanceId, a.State])).toEqual([[instances['eb-b'], 'attached']]);
    expect(mountedAt(mountpoint())).toBe(loop);
    const placement = await ok(scs(['placement', '--json', '--disco', disco(), `*.*.${STACK}.test`]));
    expect(JSON.parse(placement.stdout)).toMatchObject([{ placedOn: 'host eb-b', cause: 'rollback', runsOn: ['eb-b'] }]);
  }, 120_000);
});
