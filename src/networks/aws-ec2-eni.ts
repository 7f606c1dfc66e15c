// `aws-ec2-eni`: an elastic network interface found by its tags (stack, environment, service) or
// created in the service's subnet with its security groups, attached to this instance, found on
// the host by its MAC address and moved into the container's network namespace with the ENI's
// private address and a default route through the subnet's router. `down` detaches it (it keeps
// its address for the next attach); `down --volumes` deletes it. Only an ENI carrying this agent's
// owner tags (project, stack id) is used: a look-alike (another deployment's, an older scs's) is
// reported and left alone until `scs adopt` takes it over.

import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateTagsCommand,
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import { type Ec2Instance, type Ec2Settings, ec2Client, thisInstance } from '../aws/ec2-settings.ts';
import { Ec2Error, explainEc2Error } from '../aws/errors.ts';
import { ADOPT_HINT, awsTags, byOwner, HOST_TAG, notOurs, type Owner, ownerOf, ownerTags, tagLookups, whose } from '../aws/tags.ts';
import { addressAfter } from '../cidr.ts';
import type { EniOptions } from '../manifest/compiled.ts';
import { moveIntoNetns } from './netns.ts';
import type { NetnsSetup, NetworkContext, NetworkProvisioner } from './provisioner.ts';

/** The VPC router of a subnet: its first address (AWS reserves it). */
export function subnetRouter(cidr: string): { gateway: string; prefixLength: number } {
  const [base, bits] = cidr.split('/') as [string, string];
  return { gateway: addressAfter(base), prefixLength: Number(bits) };
}

export class EniProvisioner implements NetworkProvisioner {
  readonly method = 'aws-ec2-eni' as const;
  private instance: Ec2Instance | undefined;
  private client: EC2Client | undefined;

  constructor(
    private readonly service: string,
    private readonly options: EniOptions,
    private readonly settings: Ec2Settings,
    private readonly context: NetworkContext,
  ) {
    this.owner = ownerOf(context.labels);
  }

  private readonly owner: Owner | undefined;

  private get label(): string {
    return `the ENI of ${this.service}`;
  }

  async provision(): Promise<void> {
    const { ec2 } = await this.connect();
    const { ours: found, others } = await this.lookup();
    if (found) {
      if (found.SubnetId !== this.options.subnet)
        throw new Ec2Error(
          `${this.label} is ${found.NetworkInterfaceId} in ${found.SubnetId}, not in ${this.options.subnet}; delete it with scs down --volumes to make it anew`,
        );
      return;
    }
    // A second ENI beside a look-alike would give the service another address than the one it had.
    if (others.length > 0) throw new Ec2Error(`${notOurs(this.label, lookAlikes(others))}, so it is left alone; ${ADOPT_HINT}`);
    if (!this.owner) throw new Ec2Error(`cannot create ${this.label}: this agent has no stack id to tag it with`);
    const tags = { ...this.options.tags, ...ownerTags(this.owner), [HOST_TAG]: this.owner.host };
    try {
      const created = await ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: this.options.subnet,
          ...(this.options.securityGroups.length > 0 ? { Groups: this.options.securityGroups } : {}),
          Description: `scs ${Object.values(this.options.tags).join('-')}`,
          TagSpecifications: [{ ResourceType: 'network-interface', Tags: awsTags(tags) }],
        }),
      );
      this.context.logger.info(`created ${created.NetworkInterface?.NetworkInterfaceId} for ${this.service} in ${this.options.subnet}`);
    } catch (error) {
      throw explain(error, `create ${this.label} in ${this.options.subnet}`);
    }
  }

  /** Found, in its subnet (one elsewhere is for provision() to explain). */
  async provisioned(): Promise<boolean> {
    return (await this.find())?.SubnetId === this.options.subnet;
  }

  async attach(): Promise<NetnsSetup> {
    const { ec2, instance } = await this.connect();
    const found = await this.require();
    const attachment = found.Attachment;
    if (attachment?.InstanceId && attachment.InstanceId !== instance.id)
      throw new Ec2Error(
        `${this.label} (${found.NetworkInterfaceId}) is attached to ${attachment.InstanceId}; run scs down there first, then try again`,
      );
    if (!attachment?.InstanceId) {
      try {
        await ec2.send(
          new AttachNetworkInterfaceCommand({
            NetworkInterfaceId: found.NetworkInterfaceId,
            InstanceId: instance.id,
            DeviceIndex: this.options.deviceIndex,
          }),
        );
      } catch (error) {
        throw explain(error, `attach ${this.label} (${found.NetworkInterfaceId}) to ${instance.id}`);
      }
      // Where it was last: a description, never a key, so failing to say it fails nothing.
      if (this.owner?.host)
        await ec2
          .send(new CreateTagsCommand({ Resources: [found.NetworkInterfaceId!], Tags: awsTags({ [HOST_TAG]: this.owner.host }) }))
          .catch((error: Error) =>
            this.context.logger.warn(`${this.label}: could not tag ${found.NetworkInterfaceId} with this host (${error.message})`),
          );
    }
    await this.waitFor((eni) => eni.Attachment?.InstanceId === instance.id && eni.Attachment.Status === 'attached', 'to attach');
    return this.setup(found);
  }

  async enter(pid: number): Promise<NetnsSetup> {
    const setup = await this.setup(await this.require());
    await moveIntoNetns(pid, setup, this.settings.waitMs, `${this.label}`);
    this.context.logger.info(`${this.service}: ${setup.address}/${setup.prefixLength} on its ENI, default route via ${setup.gateway}`);
    return setup;
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
      await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: ours.NetworkInterfaceId }));
    } catch (error) {
      throw explain(error, `delete ${this.label} (${ours.NetworkInterfaceId})`);
    }
    this.context.logger.info(`${this.service}: deleted ${ours.NetworkInterfaceId}`);
  }

  /**
   * Makes the one look-alike of this ENI this deployment's (`scs adopt`): one an older scs made, or
   * another agent's when its service moved here. Refused when it is not the only one, or is attached elsewhere.
   */
  async adopt(): Promise<boolean> {
    const { ec2, instance } = await this.connect();
    const { ours, others } = await this.lookup();
    if (ours) {
      this.context.logger.info(`${this.label}: ${ours.NetworkInterfaceId} is this deployment's already`);
      return false;
    }
    if (others.length === 0) {
      this.context.logger.info(`${this.label}: no ENI matches its tags; scs up makes one`);
      return false;
    }
    if (!this.owner) throw new Ec2Error(`cannot adopt for ${this.label}: this deployment has no stack id yet`);
    if (others.length > 1)
      throw new Ec2Error(`${notOurs(this.label, lookAlikes(others))}, and only one can be adopted: delete or retag all but one`);
    const [found] = others as [NetworkInterface];
    const elsewhere = found.Attachment?.InstanceId;
    if (elsewhere && elsewhere !== instance.id)
      throw new Ec2Error(
        `${this.label} (${found.NetworkInterfaceId}) is attached to ${elsewhere}; run scs down there first, then adopt it here`,
      );
    try {
      await ec2.send(
        new CreateTagsCommand({
          Resources: [found.NetworkInterfaceId!],
          Tags: awsTags({ ...this.options.tags, ...ownerTags(this.owner) }),
        }),
      );
    } catch (error) {
      throw explain(error, `tag ${this.label} (${found.NetworkInterfaceId})`);
    }
    this.context.logger.success(`${this.label}: adopted ${found.NetworkInterfaceId} (${whose(found.TagSet)}); it is this deployment's now`);
    return true;
  }

  private async detachFromHere(found: NetworkInterface): Promise<void> {
    const { ec2, instance } = await this.connect();
    const attachment = found.Attachment;
    if (attachment?.InstanceId !== instance.id || !attachment.AttachmentId) return;
    try {
      await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachment.AttachmentId }));
    } catch (error) {
      throw explain(error, `detach ${this.label} (${found.NetworkInterfaceId})`);
    }
    await this.waitFor((eni) => eni.Attachment?.InstanceId !== instance.id, 'to detach');
    this.context.logger.info(`${this.service}: detached ${found.NetworkInterfaceId}; it keeps ${found.PrivateIpAddress}`);
  }

  async status(): Promise<string> {
    const { ours: found, others } = await this.lookup();
    if (!found)
      return others.length > 0
        ? `not created; ${others.map((e) => e.NetworkInterfaceId).join(', ')} not this deployment's (scs adopt)`
        : 'not created';
    const attachment = found.Attachment;
    const where = attachment?.InstanceId
      ? attachment.InstanceId === (await this.connect()).instance.id
        ? `${attachment.Status}`
        : `${attachment.Status} to ${attachment.InstanceId}`
      : 'available';
    return `${found.NetworkInterfaceId} ${where} ${found.PrivateIpAddress} (${found.MacAddress})`;
  }

  private async setup(eni: NetworkInterface): Promise<NetnsSetup> {
    const { ec2 } = await this.connect();
    const subnet = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [eni.SubnetId!] }))).Subnets?.[0];
    if (!subnet?.CidrBlock) throw new Ec2Error(`${this.label}: its subnet ${eni.SubnetId} has no IPv4 range`);
    return { mac: eni.MacAddress!, address: eni.PrivateIpAddress!, ...subnetRouter(subnet.CidrBlock) };
  }

  /** This deployment's ENI; undefined when there is none yet (look-alikes are not it). */
  private async find(): Promise<NetworkInterface | undefined> {
    return (await this.lookup()).ours;
  }

  /** Every ENI its name tags (or its old ones) find: this deployment's (at most one), and the look-alikes. */
  private async lookup(): Promise<{ ours: NetworkInterface | undefined; others: NetworkInterface[] }> {
    const { ec2 } = await this.connect();
    const found = new Map<string, NetworkInterface>();
    for (const filters of tagLookups(this.options.tags)) {
      try {
        const enis = (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: filters }))).NetworkInterfaces ?? [];
        for (const eni of enis) found.set(eni.NetworkInterfaceId!, eni);
      } catch (error) {
        throw explain(error, `look up ${this.label}`);
      }
    }
    // EC2 calls an ENI's tags its TagSet.
    const { ours, others } = byOwner(
      [...found.values()].map((eni) => ({ eni, Tags: eni.TagSet })),
      this.owner,
    );
    if (ours.length > 1)
      throw new Ec2Error(
        `${this.label} matches ${ours.length} ENIs of this deployment (${ours.map(({ eni }) => eni.NetworkInterfaceId).join(', ')}); delete or retag all but one`,
      );
    return { ours: ours[0]?.eni, others: others.map(({ eni }) => eni) };
  }

  private async require(): Promise<NetworkInterface> {
    const found = await this.find();
    if (!found) throw new Ec2Error(`${this.label} does not exist yet (it is made on scs up)`);
    return found;
  }

  private async waitFor(done: (eni: NetworkInterface) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + this.settings.waitMs;
    for (let pause = 100; ; pause = Math.min(pause * 2, 2000)) {
      const eni = await this.require();
      if (done(eni)) return;
      if (Date.now() > deadline)
        throw new Ec2Error(
          `${this.label} (${eni.NetworkInterfaceId}) did not get ${what} within ${Math.round(this.settings.waitMs / 1000)} s`,
        );
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private async connect(): Promise<{ ec2: EC2Client; instance: Ec2Instance }> {
    this.instance ??= await thisInstance(this.settings);
    this.client ??= ec2Client(this.settings, this.instance);
    return { ec2: this.client, instance: this.instance };
  }
}

const lookAlikes = (enis: readonly NetworkInterface[]) => enis.map((e) => ({ id: e.NetworkInterfaceId!, tags: e.TagSet }));

const explain = (error: unknown, what: string) => (error instanceof Ec2Error ? error : explainEc2Error(error as Error, what));
