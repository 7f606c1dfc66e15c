// aws-ec2-ebs through the real @aws-sdk/client-ec2 against moto's EC2 server, with a loop device
// on a sparse file standing in for the attached disk, found through a device folder the test
// controls. The host side is real: blkid, mkfs, mount, and a container that writes on it. Each
// provisioner stands for one deployment: its labels carry a project and a random stack id, which
// become the owner tags; a look-alike (another deployment's, an older scs's) is never attached or deleted.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttachVolumeCommand, CreateVolumeCommand, DescribeVolumesCommand, type Tag } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceLabels } from '../../src/agent/identity.ts';
import { ec2Settings, thisInstance } from '../../src/aws/ec2-settings.ts';
import type { CompiledVolume } from '../../src/manifest/compiled.ts';
import { EbsProvisioner } from '../../src/volumes/aws-ec2-ebs.ts';
import { mountedAt } from '../../src/volumes/block-device.ts';
import type { VolumeEngine } from '../../src/volumes/provisioner.ts';
import { recordingLogger } from '../helpers/logging.ts';
import { loopProblem } from '../helpers/loop-device.ts';
import { MOTO_CREDENTIALS, type Moto, motoProblem, startMoto } from '../helpers/moto.ts';

/** Why a loop device cannot stand in for a disk here, or undefined when it can. */

const problem = motoProblem() ?? loopProblem();
const ZONE = 'us-east-1a';
const noEngine: VolumeEngine = {
  ensureVolume: async () => {},
  volumeExists: async () => false,
  removeVolume: async () => {},
  volumeLabels: async () => undefined,
};
/** The labels of one deployment's agent: the same files, told apart by the random stack id. */
const deployment = (stackId: string, project = 'host-a') =>
  resourceLabels({ stack: `ebs${process.pid}`, environment: 'test', project, host: project, stackId });
const FIRST = deployment('1'.repeat(32));
const SECOND = deployment('2'.repeat(32));
const tagsOf = (volume: CompiledVolume) => (volume.method === 'aws-ec2-ebs' ? volume.ebs.tags : {});
const asTags = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

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
  const provisioner = (volume: CompiledVolume, settings: Record<string, string>, labels = FIRST, logger = recordingLogger().logger) =>
    new EbsProvisioner(volume as Extract<CompiledVolume, { method: 'aws-ec2-ebs' }>, ec2Settings(settings), {
      engine: noEngine,
      labels,
      logger,
    });
  const volumeNamed = async (name: string) =>
    (await moto.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:scs:volume', Values: [name] }] }))).Volumes!.filter(
      (v) => v.State !== 'deleted',
    );
  /** A volume made outside this deployment, with these tags, in the zone. */
  const lookAlike = async (tags: Record<string, string>, zone = ZONE) =>
    (
      await moto.ec2.send(
        new CreateVolumeCommand({ AvailabilityZone: zone, Size: 1, TagSpecifications: [{ ResourceType: 'volume', Tags: asTags(tags) }] }),
      )
    ).VolumeId!;

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
    for (const mount of ['mnt-a', 'mnt-b', 'mnt-f']) if (mountedAt(join(dir, mount))) execFileSync('umount', [join(dir, mount)]);
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
    // Its owner tags: the project and the deployment's stack id; the host only describes where it was.
    expect(made[0]!.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'scs:project', Value: 'host-a' },
        { Key: 'scs:stack-id', Value: '1'.repeat(32) },
        { Key: 'scs:host', Value: 'host-a' },
      ]),
    );

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
            Tags: asTags({ ...tagsOf(volume), 'scs:project': 'host-a', 'scs:stack-id': '1'.repeat(32) }),
          },
        ],
      }),
    );
    const a = provisioner(volume, env(hostA, join(dir, 'a', 'dev')));
    await expect(a.provision()).rejects.toThrow(
      /^volume elsewhere \(db\) is vol-\w+ in us-east-1b, but this instance is in us-east-1a: an EBS volume attaches only in its own zone$/,
    );
  });

  it("a second deployment of the same files neither attaches nor deletes the first one's volume, and says so in one sentence", async () => {
    const volume = ebsVolume('shared', join(dir, 'mnt-f'));
    const first = provisioner(volume, env(hostA, join(dir, 'a', 'dev')));
    await first.provision();
    await first.attach();
    const [made] = await volumeNamed('shared');
    const log = recordingLogger();
    // The same files deployed again on the same host: the same mountpoint, another stack id.
    const second = provisioner(volume, env(hostA, join(dir, 'a', 'dev')), SECOND, log.logger);

    await expect(second.provision()).rejects.toThrow(
      `volume shared (db) matches ${made!.VolumeId} (of project host-a, stack id 11111111) by its tags, but it is not this deployment's, so it is left alone; if it is this service's`,
    );
    expect(await second.provisioned()).toBe(false);
    await expect(second.attach()).rejects.toThrow('volume shared (db) has no EBS volume yet');
    expect(await second.status()).toBe(`not created; ${made!.VolumeId} not this deployment's (scs adopt)`);
    await second.detach();
    await second.deprovision();
    expect(log.lines('warn')).toEqual([
      expect.stringContaining(
        `matches ${made!.VolumeId} (of project host-a, stack id 11111111) by its tags, but it is not this deployment's, so it is left as it is`,
      ),
      expect.stringContaining(
        `matches ${made!.VolumeId} (of project host-a, stack id 11111111) by its tags, but it is not this deployment's, so it is not deleted`,
      ),
    ]);
    const [after] = await volumeNamed('shared');
    expect(after).toMatchObject({ VolumeId: made!.VolumeId, State: 'in-use' });
    expect(after!.Attachments).toEqual([expect.objectContaining({ InstanceId: hostA, State: 'attached' })]);
    // Still mounted for the first deployment's container: the second one's down unmounted nothing.
    expect(mountedAt(join(dir, 'mnt-f'))).toBe(loop);
    await first.deprovision();
    expect(mountedAt(join(dir, 'mnt-f'))).toBeUndefined();
    expect(await volumeNamed('shared')).toEqual([]);
  }, 60_000);

  it('deprovision (down --volumes) leaves an untagged look-alike, reporting it in one line, and deletes its own', async () => {
    const volume = ebsVolume('beside', join(dir, 'mnt-g'));
    const a = provisioner(volume, env(hostA, join(dir, 'a', 'dev')));
    await a.provision();
    const [ours] = await volumeNamed('beside');
    const theirs = await lookAlike(tagsOf(volume));
    const log = recordingLogger();
    await provisioner(volume, env(hostA, join(dir, 'a', 'dev')), FIRST, log.logger).deprovision();
    expect(log.lines().filter((line) => line.includes(theirs))).toEqual([
      `volume beside (db) matches ${theirs} (made by an older scs, without a stack id) by its tags, but it is not this deployment's, so it is not deleted`,
    ]);
    expect(log.lines('info')).toContain(`volume beside (db): deleted ${ours!.VolumeId}`);
    expect((await volumeNamed('beside')).map((v) => v.VolumeId)).toEqual([theirs]);
  }, 60_000);

  it('neither uses nor makes a volume beside one an older scs made (even by its old scs:role tag), until scs adopt takes it over', async () => {
    const volume = ebsVolume('older', join(dir, 'mnt-e'));
    const { 'scs:service': service, ...others } = tagsOf(volume);
    const old = await lookAlike({ ...others, 'scs:role': service! });
    const a = provisioner(volume, env(hostA, join(dir, 'a', 'dev')));
    await expect(a.provision()).rejects.toThrow(
      `volume older (db) matches ${old} (made by an older scs, without a stack id) by its tags, but it is not this deployment's, so it is left alone; if it is this service's (moved here from another host, or made by an older scs), take it over with scs adopt`,
    );
    expect((await volumeNamed('older')).map((v) => v.VolumeId)).toEqual([old]);

    const log = recordingLogger();
    expect(await provisioner(volume, env(hostA, join(dir, 'a', 'dev')), FIRST, log.logger).adopt()).toBe(true);
    expect(log.lines('success')).toEqual([
      `volume older (db): adopted ${old} (made by an older scs, without a stack id); it is this deployment's now`,
    ]);
    const [adopted] = await volumeNamed('older');
    expect(adopted!.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'scs:service', Value: 'db' },
        { Key: 'scs:project', Value: 'host-a' },
        { Key: 'scs:stack-id', Value: '1'.repeat(32) },
      ]),
    );
    expect(await a.status()).toBe(`${old} available`);
    await a.provision();
    expect(await a.adopt()).toBe(false); // its own already
    // The one it adopted is now the first deployment's: a second one is refused it as before.
    await expect(provisioner(volume, env(hostA, join(dir, 'a', 'dev')), SECOND).provision()).rejects.toThrow(
      `matches ${old} (of project host-a, stack id 11111111)`,
    );
    await a.deprovision();
  }, 60_000);

  it('adopts nothing when two look-alikes match, or when the one is attached to another instance', async () => {
    const volume = ebsVolume('twice', join(dir, 'mnt-h'));
    const one = await lookAlike(tagsOf(volume));
    const two = await lookAlike({ ...tagsOf(volume), 'scs:project': 'host-b', 'scs:stack-id': '3'.repeat(32) });
    const a = provisioner(volume, env(hostA, join(dir, 'a', 'dev')));
    await expect(a.adopt()).rejects.toThrow(
      `volume twice (db) matches ${one} (made by an older scs, without a stack id), ${two} (of project host-b, stack id 33333333) by its tags, but they are not this deployment's, and only one can be adopted: delete or retag all but one`,
    );

    const held = ebsVolume('held', join(dir, 'mnt-i'));
    const attached = await lookAlike(tagsOf(held));
    await moto.ec2.send(new AttachVolumeCommand({ VolumeId: attached, InstanceId: hostB, Device: '/dev/xvdg' }));
    await expect(provisioner(held, env(hostA, join(dir, 'a', 'dev'))).adopt()).rejects.toThrow(
      `volume held (db) (${attached}) is attached to ${hostB}; run scs down there first, then adopt it here`,
    );
    for (const id of [one, two, attached]) {
      const [found] = (await moto.ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes!;
      expect(found!.Tags!.find((tag) => tag.Key === 'scs:stack-id')?.Value).not.toBe('1'.repeat(32));
    }
  }, 60_000);

  it('says when no block device shows up after the attach', async () => {
    const volume = ebsVolume('nodisk', join(dir, 'mnt-d'));
    const a = provisioner(volume, env(hostA, join(dir, 'empty-dev'), { SCS_EC2_WAIT_SECONDS: '1' }));
    await a.provision();
    await expect(a.attach()).rejects.toThrow(/is attached, but no block device appeared at .*xvdf or .*sdf within 1 s$/);
    await a.deprovision();
  });
});
