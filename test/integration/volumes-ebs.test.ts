// aws-ec2-ebs through the real @aws-sdk/client-ec2 against moto's EC2 server, with a loop device
// on a sparse file standing in for the attached disk, found through a device folder the test
// controls. The host side is real: blkid, mkfs, mount, and a container that writes on it.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateVolumeCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { consola } from 'consola';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ec2Settings, thisInstance } from '../../src/aws/ec2-settings.ts';
import type { CompiledVolume } from '../../src/manifest/compiled.ts';
import { EbsProvisioner } from '../../src/volumes/aws-ec2-ebs.ts';
import { mountedAt } from '../../src/volumes/block-device.ts';
import type { VolumeEngine } from '../../src/volumes/provisioner.ts';
import { MOTO_CREDENTIALS, type Moto, motoProblem, startMoto } from '../helpers/moto.ts';

/** Why a loop device cannot stand in for a disk here, or undefined when it can. */
function loopProblem(): string | undefined {
  try {
    execFileSync('losetup', ['--find'], { stdio: 'pipe' });
    execFileSync('which', ['mkfs.ext4', 'blkid', 'mount'], { stdio: 'ignore' });
    return process.getuid?.() === 0 ? undefined : 'mounting needs root';
  } catch {
    return 'no free loop device (losetup --find failed)';
  }
}

const problem = motoProblem() ?? loopProblem();
const ZONE = 'us-east-1a';
const noEngine: VolumeEngine = {
  ensureVolume: async () => {},
  volumeExists: async () => false,
  removeVolume: async () => {},
  volumeLabels: async () => undefined,
};
const logger = consola.create({ level: 1 });

export function ebsVolume(name: string, mountpoint: string, stack = `ebs${process.pid}`): CompiledVolume {
  return {
    name,
    target: '/data',
    method: 'aws-ec2-ebs',
    shareable: false,
    source: mountpoint,
    ebs: {
      size: 1,
      type: 'gp3',
      iops: undefined,
      encrypted: false,
      device: '/dev/xvdf',
      filesystem: 'ext4',
      format: 'blank',
      tags: { 'scs:stack': stack, 'scs:environment': 'test', 'scs:service': 'db', 'scs:volume': name },
    },
  };
}

describe.skipIf(problem !== undefined)(`aws-ec2-ebs against moto${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let moto: Moto;
  let dir: string;
  let loop: string;
  let hostA: string;
  let hostB: string;
  const env = (instance: string, deviceRoot: string, extra: Record<string, string> = {}) => ({
    ...MOTO_CREDENTIALS,
    SCS_EC2_ENDPOINT: moto.endpoint,
    SCS_EC2_IMDS_ENDPOINT: moto.endpoint,
    SCS_EC2_INSTANCE_ID: instance,
    SCS_EC2_AZ: ZONE,
    SCS_EBS_DEVICE_ROOT: deviceRoot,
    SCS_EC2_WAIT_SECONDS: '20',
    ...extra,
  });
  const provisioner = (volume: CompiledVolume, settings: Record<string, string>) =>
    new EbsProvisioner(volume as Extract<CompiledVolume, { method: 'aws-ec2-ebs' }>, ec2Settings(settings), {
      engine: noEngine,
      labels: {},
      logger,
    });

  beforeAll(async () => {
    moto = await startMoto();
    hostA = await moto.runInstance(ZONE);
    hostB = await moto.runInstance(ZONE);
    dir = mkdtempSync(join(tmpdir(), 'scs-ebs-'));
    writeFileSync(join(dir, 'disk.img'), '');
    execFileSync('truncate', ['-s', '64M', join(dir, 'disk.img')]);
    loop = execFileSync('losetup', ['--find', '--show', join(dir, 'disk.img')], { encoding: 'utf8' }).trim();
    // Each host's /dev: the same disk shows up as xvdf on whichever host it is attached to.
    for (const host of ['a', 'b']) {
      mkdirSync(join(dir, host, 'dev'), { recursive: true });
      symlinkSync(loop, join(dir, host, 'dev', 'xvdf'));
    }
  }, 60_000);

  afterAll(async () => {
    for (const mount of ['mnt-a', 'mnt-b']) if (mountedAt(join(dir, mount))) execFileSync('umount', [join(dir, mount)]);
    if (loop) execFileSync('losetup', ['-d', loop]);
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the availability zone from the metadata service when it is not overridden', async () => {
    const { SCS_EC2_AZ: _zone, ...withoutZone } = env(hostA, '/dev');
    // moto's stand-in IMDS says us-east-1a, like a real instance in that zone would.
    expect(await thisInstance(ec2Settings(withoutZone))).toEqual({ id: hostA, availabilityZone: 'us-east-1a' });
  });

  it('creates, attaches, formats once, mounts, detaches and is attached by a second host with its data', async () => {
    const volume = ebsVolume('data', join(dir, 'mnt-a'));
    const a = provisioner(volume, env(hostA, join(dir, 'a', 'dev')));
    await a.provision();
    await a.provision(); // found by its tags the second time: still one volume
    const made = (await moto.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:scs:volume', Values: ['data'] }] }))).Volumes!;
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ Size: 1, VolumeType: 'gp3', AvailabilityZone: ZONE });
    expect(made[0]!.Tags).toContainEqual({ Key: 'Name', Value: `ebs${process.pid}-test-db-data` });

    expect(await a.attach()).toEqual({ type: 'bind', source: join(dir, 'mnt-a') });
    expect(mountedAt(join(dir, 'mnt-a'))).toBe(loop);
    expect(await a.status()).toBe(`${made[0]!.VolumeId} attached ${loop} at ${join(dir, 'mnt-a')}`);
    writeFileSync(join(dir, 'mnt-a', 'kept'), 'written on host a');

    // The second host cannot take it while the first holds it.
    const b = provisioner({ ...volume, source: join(dir, 'mnt-b') }, env(hostB, join(dir, 'b', 'dev')));
    await expect(b.attach()).rejects.toThrow(`is attached to ${hostA}; run scs down there first`);

    await a.detach();
    expect(mountedAt(join(dir, 'mnt-a'))).toBeUndefined();
    expect(await a.status()).toBe(`${made[0]!.VolumeId} available`);

    // Attached again elsewhere: not formatted again, so the data is there.
    await b.provision();
    await b.attach();
    expect(execFileSync('cat', [join(dir, 'mnt-b', 'kept')], { encoding: 'utf8' })).toBe('written on host a');
    await b.deprovision();
    expect(mountedAt(join(dir, 'mnt-b'))).toBeUndefined();
    expect(await b.status()).toBe('not created');
  }, 120_000);

  it('refuses a volume of another zone in one sentence', async () => {
    const volume = ebsVolume('elsewhere', join(dir, 'mnt-c'));
    await moto.ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: 'us-east-1b',
        Size: 1,
        TagSpecifications: [
          {
            ResourceType: 'volume',
            Tags: Object.entries(volume.method === 'aws-ec2-ebs' ? volume.ebs.tags : {}).map(([Key, Value]) => ({ Key, Value })),
          },
        ],
      }),
    );
    const a = provisioner(volume, env(hostA, join(dir, 'a', 'dev')));
    await expect(a.provision()).rejects.toThrow(
      /^volume elsewhere \(db\) is vol-\w+ in us-east-1b, but this instance is in us-east-1a: an EBS volume attaches only in its own zone$/,
    );
  });

  it('finds a volume made before scs:service by its old scs:role tag, rather than making another', async () => {
    const volume = ebsVolume('older', join(dir, 'mnt-e'));
    const { 'scs:service': service, ...others } = volume.method === 'aws-ec2-ebs' ? volume.ebs.tags : {};
    const old = { ...others, 'scs:role': service! };
    const made = await moto.ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: ZONE,
        Size: 1,
        TagSpecifications: [{ ResourceType: 'volume', Tags: Object.entries(old).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    const a = provisioner(volume, env(hostA, join(dir, 'a', 'dev')));
    expect(await a.status()).toBe(`${made.VolumeId} available`);
    await a.provision();
    const named = (await moto.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:scs:volume', Values: ['older'] }] }))).Volumes!;
    expect(named.map((v) => v.VolumeId)).toEqual([made.VolumeId]);
  });

  it('says when no block device shows up after the attach', async () => {
    const volume = ebsVolume('nodisk', join(dir, 'mnt-d'));
    const a = provisioner(volume, env(hostA, join(dir, 'empty-dev'), { SCS_EC2_WAIT_SECONDS: '1' }));
    await a.provision();
    await expect(a.attach()).rejects.toThrow(/is attached, but no block device appeared at .*xvdf or .*sdf within 1 s$/);
    await a.deprovision();
  });
});
