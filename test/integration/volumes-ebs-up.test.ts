// aws-ec2-ebs through `scs up` and `scs down` on the real Docker daemon, with moto's EC2 server and
// a loop device standing in for the disk: a database-like container writes on its EBS volume, goes
// down (unmounted, detached), comes back up (attached again, not reformatted) and reads its data;
// then a second agent (another project, another instance) is refused it until `scs adopt` there
// takes it over, after which it attaches it; `down --volumes` deletes it, and leaves a look-alike.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateVolumeCommand, DeleteVolumeCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStackId } from '../../src/agent/stack-id.ts';
import { stateFolder } from '../../src/agent/state-folder.ts';
import { LABEL } from '../../src/docker/engine.ts';
import { mountedAt } from '../../src/volumes/block-device.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { loopProblem } from '../helpers/loop-device.ts';
import { MOTO_CREDENTIALS, type Moto, motoProblem, startMoto } from '../helpers/moto.ts';

const problem = dockerProblem ?? motoProblem() ?? loopProblem();
const STACK = `ebsup${process.pid}`;
const ZONE = 'us-east-1a';

describe.skipIf(problem !== undefined)(`aws-ec2-ebs through scs up and down${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let moto: Moto;
  let dir: string;
  let loop: string;
  const hosts: Record<'a' | 'b', string> = { a: '', b: '' };
  const files = () => ['-f', join(dir, 'scs-stack.yaml')];
  const mountpoint = () => join(dir, 'mnt');
  const envOf = (host: 'a' | 'b') => ({
    ...MOTO_CREDENTIALS,
    SCS_EC2_ENDPOINT: moto.endpoint,
    SCS_EC2_IMDS_ENDPOINT: moto.endpoint,
    SCS_EC2_INSTANCE_ID: hosts[host],
    SCS_EC2_AZ: ZONE,
    SCS_EBS_DEVICE_ROOT: join(dir, host, 'dev'),
    SCS_EC2_WAIT_SECONDS: '20',
  });
  const run = async (host: 'a' | 'b', ...args: string[]) => {
    const done = scs([...args, ...files(), '--project-name', `host-${host}`], envOf(host));
    const code = await done.exited;
    expect(code, `scs ${args.join(' ')}: ${done.stderr}`).toBe(0);
    return done.stdout;
  };
  const container = async () => {
    const [db] = await engine.list({ [LABEL.stack]: STACK, [LABEL.service]: 'db' });
    expect(db).toBeDefined();
    return db!.id;
  };
  const stackVolumes = async () =>
    (await moto.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:scs:stack', Values: [STACK] }] }))).Volumes ?? [];

  beforeAll(async () => {
    moto = await startMoto();
    hosts.a = await moto.runInstance(ZONE);
    hosts.b = await moto.runInstance(ZONE);
    dir = mkdtempSync(join(tmpdir(), 'scs-ebs-up-'));
    execFileSync('truncate', ['-s', '64M', join(dir, 'disk.img')]);
    loop = execFileSync('losetup', ['--find', '--show', join(dir, 'disk.img')], { encoding: 'utf8' }).trim();
    for (const host of ['a', 'b']) {
      mkdirSync(join(dir, host, 'dev'), { recursive: true });
      symlinkSync(loop, join(dir, host, 'dev', 'xvdf'));
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
  }, 60_000);

  afterAll(async () => {
    for (const host of ['a', 'b'] as const) await scs(['down', ...files(), '--project-name', `host-${host}`], envOf(host)).exited;
    if (mountedAt(mountpoint())) execFileSync('umount', [mountpoint()]);
    if (loop) execFileSync('losetup', ['-d', loop]);
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('keeps the data across down and up, and hands the volume to another host after down there and scs adopt here', async () => {
    // The dry run shows the volume made and attached as steps of the plan, and makes nothing.
    const dry = await run('a', 'up', '--dry-run');
    expect(dry).toContain(
      ['db: provision volume data (no container yet)', 'db: attach volume data (no container yet)', 'db: create (no container yet)'].join(
        '\n',
      ),
    );
    expect(await stackVolumes()).toEqual([]);

    await run('a', 'up', '-d');
    const [volume] = await stackVolumes();
    expect(volume?.Attachments?.[0]).toMatchObject({ InstanceId: hosts.a, State: 'attached' });
    expect(mountedAt(mountpoint())).toBe(loop);
    expect(await engine.exec(await container(), ['sh', '-c', 'echo row-1 >> /var/lib/db/rows'], {})).toEqual({ exitCode: 0, output: '' });
    const ps = await run('a', 'ps');
    expect(ps).toMatch(new RegExp(`db\\s+data\\s+aws-ec2-ebs\\s+${volume!.VolumeId} attached ${loop} at ${mountpoint()}`));

    await run('a', 'down');
    expect(mountedAt(mountpoint())).toBeUndefined();
    expect((await stackVolumes())[0]).toMatchObject({ VolumeId: volume!.VolumeId, State: 'available' });
    // It exists now: only the attach is left to do.
    const again = await run('a', 'up', '--dry-run');
    expect(again).toContain('db: attach volume data (no container yet)\ndb: create (no container yet)');
    expect(again).not.toContain('provision');

    await run('a', 'up', '-d');
    expect(await engine.exec(await container(), ['cat', '/var/lib/db/rows'], {})).toEqual({ exitCode: 0, output: 'row-1\n' });
    await run('a', 'down');

    // Another host of the zone, another agent: the volume is host-a's, so it is neither attached nor
    // replaced by a blank one until that agent takes it over with scs adopt.
    const refused = scs(['up', '-d', ...files(), '--project-name', 'host-b'], envOf('b'));
    expect(await refused.exited).not.toBe(0);
    expect(refused.stderr).toContain(
      `volume data (db) matches ${volume!.VolumeId} (of project host-a, stack id ${readStackId(stateFolder('host-a', STACK))!.slice(0, 8)}) by its tags, but it is not this deployment's, so it is left alone`,
    );
    expect((await stackVolumes()).map((v) => [v.VolumeId, v.State])).toEqual([[volume!.VolumeId, 'available']]);
    await run('b', 'down');
    expect(await run('b', 'adopt')).toContain('adopted 1');
    await run('b', 'up', '-d');
    expect((await stackVolumes())[0]?.Attachments?.[0]).toMatchObject({ InstanceId: hosts.b, State: 'attached' });
    expect(await engine.exec(await container(), ['cat', '/var/lib/db/rows'], {})).toEqual({ exitCode: 0, output: 'row-1\n' });

    // A volume with the same name tags that no agent of this deployment made: left, and said once.
    const tags = { 'scs:stack': STACK, 'scs:environment': 'test', 'scs:service': 'db', 'scs:volume': 'data' };
    const theirs = await moto.ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: ZONE,
        Size: 1,
        TagSpecifications: [{ ResourceType: 'volume', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    const down = scs(['down', '--volumes', ...files(), '--project-name', 'host-b'], envOf('b'));
    expect(await down.exited, down.stderr).toBe(0);
    expect(`${down.stdout}${down.stderr}`.split('\n').filter((line) => line.includes(theirs.VolumeId!))).toEqual([
      expect.stringContaining(
        `volume data (db) matches ${theirs.VolumeId} (made by an older scs, without a stack id) by its tags, but it is not this deployment's, so it is not deleted`,
      ),
    ]);
    expect(mountedAt(mountpoint())).toBeUndefined();
    expect((await stackVolumes()).map((v) => v.VolumeId)).toEqual([theirs.VolumeId]);
    await moto.ec2.send(new DeleteVolumeCommand({ VolumeId: theirs.VolumeId }));
  }, 240_000);

  it('refuses, in one sentence, a volume that is in another zone, and leaves it alone', async () => {
    // This deployment's own volume (host-a's owner tags), but in another zone.
    const tags = {
      'scs:stack': STACK,
      'scs:environment': 'test',
      'scs:service': 'db',
      'scs:volume': 'data',
      'scs:project': 'host-a',
      'scs:stack-id': readStackId(stateFolder('host-a', STACK))!,
    };
    const made = await moto.ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: 'us-east-1b',
        Size: 1,
        TagSpecifications: [{ ResourceType: 'volume', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    const up = scs(['up', '-d', ...files(), '--project-name', 'host-a'], envOf('a'));
    expect(await up.exited).not.toBe(0);
    expect(up.stderr).toContain(
      `scs up failed: volume data (db) is ${made.VolumeId} in us-east-1b, but this instance is in us-east-1a: an EBS volume attaches only in its own zone`,
    );
    expect(await stackVolumes()).toEqual([expect.objectContaining({ VolumeId: made.VolumeId, State: 'available' })]);
    expect(mountedAt(mountpoint())).toBeUndefined();
  }, 120_000);
});
