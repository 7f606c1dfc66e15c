// `aws-ec2-ebs`: an EBS volume found by its tags (stack, environment, service, label) or created in
// this instance's availability zone, attached to this instance, given a filesystem when blank,
// mounted under a host path and bound into the container. `down` unmounts and detaches it (the
// data stays, and another host of the zone can attach it); `down --volumes` deletes it. Only a
// volume carrying this agent's owner tags (project, stack id) is used: a look-alike (another
// deployment's, an older scs's) is reported and left alone until `scs adopt` takes it over.

import {
  AttachVolumeCommand,
  CreateTagsCommand,
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
import {
  ADOPT_HINT,
  awsTags,
  byOwner,
  HOST_TAG,
  notOurs,
  type Owner,
  ownerOf,
  ownerTags,
  SERVICE_TAG,
  tagLookups,
  whose,
} from '../aws/tags.ts';
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
    this.owner = ownerOf(context.labels);
  }

  private readonly owner: Owner | undefined;

  private get label(): string {
    return `volume ${this.volume.name} (${this.options.tags[SERVICE_TAG]})`;
  }

  async provision(): Promise<void> {
    const { ec2, instance } = await this.connect();
    const { ours: found, others } = await this.lookup();
    if (found) {
      this.checkZone(found, instance);
      return;
    }
    // Made beside a look-alike, a new blank volume would start the service without its data.
    if (others.length > 0) throw new VolumeError(`${notOurs(this.label, lookAlikes(others))}, so it is left alone; ${ADOPT_HINT}`);
    if (!this.owner) throw new VolumeError(`cannot create ${this.label}: this agent has no stack id to tag it with`);
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
                ...awsTags({ ...tags, ...ownerTags(this.owner), [HOST_TAG]: this.owner.host }),
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
      // Where it was last: a description for whoever looks at the volume, never a key, so failing to say it fails nothing.
      if (this.owner?.host)
        await ec2
          .send(new CreateTagsCommand({ Resources: [found.VolumeId!], Tags: awsTags({ [HOST_TAG]: this.owner.host }) }))
          .catch((error: Error) =>
            this.context.logger.warn(`${this.label}: could not tag ${found.VolumeId} with this host (${error.message})`),
          );
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
    const { ours, others } = await this.lookup();
    if (!ours && others.length > 0) this.context.logger.warn(`${notOurs(this.label, lookAlikes(others))}, so it is left as it is`);
    if (ours) await this.detachFromHere(ours);
  }

  async deprovision(): Promise<void> {
    const { ours, others } = await this.lookup();
    // Deleting is what must never reach a look-alike: each is named, once, and left.
    if (others.length > 0) this.context.logger.warn(`${notOurs(this.label, lookAlikes(others))}, so it is not deleted`);
    if (!ours) return;
    await this.detachFromHere(ours);
    const { ec2 } = await this.connect();
    try {
      await ec2.send(new DeleteVolumeCommand({ VolumeId: ours.VolumeId }));
    } catch (error) {
      throw this.explain(error, `delete ${this.label} (${ours.VolumeId})`);
    }
    this.context.logger.info(`${this.label}: deleted ${ours.VolumeId}`);
  }

  /** Unmounts and detaches it when it is attached here; what is mounted at its folder otherwise is not its (another deployment's, on the same path). */
  private async detachFromHere(found: Volume): Promise<void> {
    const { ec2, instance } = await this.connect();
    if (!found.Attachments?.some((a) => a.InstanceId === instance.id)) return;
    await unmount(this.volume.source);
    try {
      await ec2.send(new DetachVolumeCommand({ VolumeId: found.VolumeId, InstanceId: instance.id }));
    } catch (error) {
      throw this.explain(error, `detach ${this.label} (${found.VolumeId})`);
    }
    await this.waitFor(found.VolumeId!, (v) => !v.Attachments?.some((a) => a.InstanceId === instance.id), 'to detach');
    this.context.logger.info(`${this.label}: detached ${found.VolumeId}; its data stays`);
  }

  async status(): Promise<string> {
    const { ours: found, others } = await this.lookup();
    if (!found)
      return others.length > 0
        ? `not created; ${others.map((v) => v.VolumeId).join(', ')} not this deployment's (scs adopt)`
        : 'not created';
    const attachment = found.Attachments?.[0];
    if (!attachment) return `${found.VolumeId} ${found.State}`;
    const here = attachment.InstanceId === (await this.connect()).instance.id;
    const device = here ? mountedAt(this.volume.source) : undefined;
    return `${found.VolumeId} ${attachment.State} ${here ? (device ? `${device} at ${this.volume.source}` : 'here, not mounted') : `to ${attachment.InstanceId}`}`;
  }

  /**
   * Makes the one look-alike of this volume this deployment's (`scs adopt`): one an older scs made, or
   * another agent's when its service moved here. Refused when it is not the only one, or is in use elsewhere.
   */
  async adopt(): Promise<boolean> {
    const { ec2, instance } = await this.connect();
    const { ours, others } = await this.lookup();
    if (ours) {
      this.context.logger.info(`${this.label}: ${ours.VolumeId} is this deployment's already`);
      return false;
    }
    if (others.length === 0) {
      this.context.logger.info(`${this.label}: no EBS volume matches its tags; scs up makes one`);
      return false;
    }
    if (!this.owner) throw new VolumeError(`cannot adopt for ${this.label}: this deployment has no stack id yet`);
    if (others.length > 1)
      throw new VolumeError(`${notOurs(this.label, lookAlikes(others))}, and only one can be adopted: delete or retag all but one`);
    const [found] = others as [Volume];
    this.checkZone(found, instance);
    const elsewhere = found.Attachments?.find((a) => a.InstanceId !== instance.id);
    if (elsewhere)
      throw new VolumeError(
        `${this.label} (${found.VolumeId}) is attached to ${elsewhere.InstanceId}; run scs down there first, then adopt it here`,
      );
    try {
      await ec2.send(
        new CreateTagsCommand({ Resources: [found.VolumeId!], Tags: awsTags({ ...this.options.tags, ...ownerTags(this.owner) }) }),
      );
    } catch (error) {
      throw this.explain(error, `tag ${this.label} (${found.VolumeId})`);
    }
    this.context.logger.success(`${this.label}: adopted ${found.VolumeId} (${whose(found.Tags)}); it is this deployment's now`);
    return true;
  }

  /** This deployment's volume; undefined when there is none yet (look-alikes are not it). */
  private async find(): Promise<Volume | undefined> {
    return (await this.lookup()).ours;
  }

  /**
   * Every live volume its name tags (or its old ones) find: this deployment's (at most one), and the
   * look-alikes, which are never attached, detached or deleted.
   */
  private async lookup(): Promise<{ ours: Volume | undefined; others: Volume[] }> {
    const { ec2 } = await this.connect();
    const live = new Map<string, Volume>();
    for (const filters of tagLookups(this.options.tags)) {
      let volumes: Volume[];
      try {
        volumes = (await ec2.send(new DescribeVolumesCommand({ Filters: filters }))).Volumes ?? [];
      } catch (error) {
        throw this.explain(error, `look up ${this.label}`);
      }
      for (const v of volumes) if (v.State !== 'deleting' && v.State !== 'deleted') live.set(v.VolumeId!, v);
    }
    const { ours, others } = byOwner([...live.values()], this.owner);
    if (ours.length > 1)
      throw new VolumeError(
        `${this.label} matches ${ours.length} EBS volumes of this deployment (${ours.map((v) => v.VolumeId).join(', ')}); delete or retag all but one`,
      );
    return { ours: ours[0], others };
  }

  private checkZone(found: Volume, instance: Ec2Instance): void {
    if (found.AvailabilityZone !== instance.availabilityZone)
      throw new VolumeError(
        `${this.label} is ${found.VolumeId} in ${found.AvailabilityZone}, but this instance is in ${instance.availabilityZone}: an EBS volume attaches only in its own zone`,
      );
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

const lookAlikes = (volumes: readonly Volume[]) => volumes.map((v) => ({ id: v.VolumeId!, tags: v.Tags }));
