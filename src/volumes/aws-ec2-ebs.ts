// `aws-ec2-ebs`: an EBS volume found by its tags (stack, environment, service, label) or created in
// this instance's availability zone, attached to this instance, given a filesystem when blank,
// mounted under a host path and bound into the container. `down` unmounts and detaches it (the
// data stays, and another host of the zone can attach it); `down --volumes` deletes it.

import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  type EC2Client,
  type Volume,
  type VolumeType,
} from '@aws-sdk/client-ec2';
import { type Ec2Instance, type Ec2Settings, ec2Client, thisInstance } from '../aws/ec2-settings.ts';
import { Ec2Error, explainEc2Error } from '../aws/errors.ts';
import { SERVICE_TAG, tagLookups } from '../aws/tags.ts';
import type { CompiledVolume, EbsOptions } from '../manifest/compiled.ts';
import { ebsDeviceCandidates, mount, mountedAt, prepareFilesystem, unmount, waitForDevice } from './block-device.ts';
import { VolumeError } from './errors.ts';
import type { VolumeContext, VolumeMount, VolumeProvisioner } from './provisioner.ts';

type EbsVolume = Extract<CompiledVolume, { method: 'aws-ec2-ebs' }>;

export class EbsProvisioner implements VolumeProvisioner {
  readonly method = 'aws-ec2-ebs' as const;
  private readonly options: EbsOptions;
  private instance: Ec2Instance | undefined;
  private client: EC2Client | undefined;

  constructor(
    private readonly volume: EbsVolume,
    private readonly settings: Ec2Settings,
    private readonly context: VolumeContext,
  ) {
    this.options = volume.ebs;
  }

  private get label(): string {
    return `volume ${this.volume.name} (${this.options.tags[SERVICE_TAG]})`;
  }

  async provision(): Promise<void> {
    const { ec2, instance } = await this.connect();
    const found = await this.find();
    if (found) {
      if (found.AvailabilityZone !== instance.availabilityZone)
        throw new VolumeError(
          `${this.label} is ${found.VolumeId} in ${found.AvailabilityZone}, but this instance is in ${instance.availabilityZone}: an EBS volume attaches only in its own zone`,
        );
      return;
    }
    const { size, type, iops, encrypted, tags } = this.options;
    let created: Volume;
    try {
      created = await ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: instance.availabilityZone,
          Size: size,
          VolumeType: type as VolumeType,
          ...(iops === undefined ? {} : { Iops: iops }),
          Encrypted: encrypted,
          TagSpecifications: [
            {
              ResourceType: 'volume',
              Tags: [
                ...Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
                { Key: 'Name', Value: Object.values(tags).join('-') },
              ],
            },
          ],
        }),
      );
    } catch (error) {
      throw this.explain(error, `create the ${size} GiB ${type} EBS ${this.label}`);
    }
    this.context.logger.info(`created EBS ${created.VolumeId} for ${this.label} in ${instance.availabilityZone}`);
    await this.waitFor(created.VolumeId!, (v) => v.State === 'available', 'to become available');
  }

  /** Found, in this instance's zone (one elsewhere is for provision() to explain). */
  async provisioned(): Promise<boolean> {
    const found = await this.find();
    return found !== undefined && found.AvailabilityZone === (await this.connect()).instance.availabilityZone;
  }

  async attach(): Promise<VolumeMount> {
    const { ec2, instance } = await this.connect();
    let found = await this.require();
    const attachment = found.Attachments?.[0];
    if (attachment && attachment.InstanceId !== instance.id) {
      if (attachment.State !== 'detaching')
        throw new VolumeError(
          `${this.label} (${found.VolumeId}) is attached to ${attachment.InstanceId}; run scs down there first, or detach it, then try again`,
        );
      found = await this.waitFor(found.VolumeId!, (v) => v.State === 'available', 'to finish detaching elsewhere');
    }
    if (!found.Attachments?.some((a) => a.InstanceId === instance.id)) {
      try {
        await ec2.send(new AttachVolumeCommand({ VolumeId: found.VolumeId, InstanceId: instance.id, Device: this.options.device }));
      } catch (error) {
        throw this.explain(error, `attach ${this.label} (${found.VolumeId}) to ${instance.id}`);
      }
    }
    await this.waitFor(
      found.VolumeId!,
      (v) => v.Attachments?.some((a) => a.InstanceId === instance.id && a.State === 'attached') ?? false,
      'to attach',
    );
    const device = await waitForDevice(
      ebsDeviceCandidates(this.settings.deviceRoot, found.VolumeId!, this.options.device),
      this.settings.waitMs,
      `${this.label} (${found.VolumeId})`,
    );
    if (await prepareFilesystem(device, this.options.filesystem, this.options.format))
      this.context.logger.info(`made an ${this.options.filesystem} filesystem on ${device} for ${this.label}`);
    await mount(device, this.volume.source);
    this.context.logger.info(`${this.label}: ${found.VolumeId} attached as ${device}, mounted at ${this.volume.source}`);
    return { type: 'bind', source: this.volume.source };
  }

  async detach(): Promise<void> {
    await unmount(this.volume.source);
    const { ec2, instance } = await this.connect();
    const found = await this.find();
    if (!found?.Attachments?.some((a) => a.InstanceId === instance.id)) return;
    try {
      await ec2.send(new DetachVolumeCommand({ VolumeId: found.VolumeId, InstanceId: instance.id }));
    } catch (error) {
      throw this.explain(error, `detach ${this.label} (${found.VolumeId})`);
    }
    await this.waitFor(found.VolumeId!, (v) => !v.Attachments?.some((a) => a.InstanceId === instance.id), 'to detach');
    this.context.logger.info(`${this.label}: detached ${found.VolumeId}; its data stays`);
  }

  async deprovision(): Promise<void> {
    await this.detach();
    const found = await this.find();
    if (!found) return;
    const { ec2 } = await this.connect();
    try {
      await ec2.send(new DeleteVolumeCommand({ VolumeId: found.VolumeId }));
    } catch (error) {
      throw this.explain(error, `delete ${this.label} (${found.VolumeId})`);
    }
    this.context.logger.info(`${this.label}: deleted ${found.VolumeId}`);
  }

  async status(): Promise<string> {
    const found = await this.find();
    if (!found) return 'not created';
    const attachment = found.Attachments?.[0];
    if (!attachment) return `${found.VolumeId} ${found.State}`;
    const here = attachment.InstanceId === (await this.connect()).instance.id;
    const device = here ? mountedAt(this.volume.source) : undefined;
    return `${found.VolumeId} ${attachment.State} ${here ? (device ? `${device} at ${this.volume.source}` : 'here, not mounted') : `to ${attachment.InstanceId}`}`;
  }

  /** The stack's volume by its tags (or its old ones); undefined when there is none yet. */
  private async find(): Promise<Volume | undefined> {
    const { ec2 } = await this.connect();
    let live: Volume[] = [];
    for (const filters of tagLookups(this.options.tags)) {
      let volumes: Volume[];
      try {
        volumes = (await ec2.send(new DescribeVolumesCommand({ Filters: filters }))).Volumes ?? [];
      } catch (error) {
        throw this.explain(error, `look up ${this.label}`);
      }
      live = volumes.filter((v) => v.State !== 'deleting' && v.State !== 'deleted');
      if (live.length > 0) break;
    }
    if (live.length > 1)
      throw new VolumeError(
        `${this.label} matches ${live.length} EBS volumes (${live.map((v) => v.VolumeId).join(', ')}); delete or retag all but one`,
      );
    return live[0];
  }

  private async require(): Promise<Volume> {
    const found = await this.find();
    if (!found) throw new VolumeError(`${this.label} has no EBS volume yet (it is made on scs up)`);
    return found;
  }

  private async waitFor(id: string, done: (volume: Volume) => boolean, what: string): Promise<Volume> {
    const { ec2 } = await this.connect();
    const deadline = Date.now() + this.settings.waitMs;
    for (let pause = 100; ; pause = Math.min(pause * 2, 2000)) {
      const volume = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes?.[0];
      if (!volume) throw new VolumeError(`${this.label} (${id}) is gone while waiting for it ${what}`);
      if (done(volume)) return volume;
      if (Date.now() > deadline)
        throw new VolumeError(
          `${this.label} (${id}) did not get ${what} within ${Math.round(this.settings.waitMs / 1000)} s (it is ${volume.State})`,
        );
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private async connect(): Promise<{ ec2: EC2Client; instance: Ec2Instance }> {
    this.instance ??= await thisInstance(this.settings);
    this.client ??= ec2Client(this.settings, this.instance);
    return { ec2: this.client, instance: this.instance };
  }

  private explain(error: unknown, what: string): VolumeError | Ec2Error {
    return error instanceof VolumeError || error instanceof Ec2Error ? error : explainEc2Error(error as Error, what);
  }
}
