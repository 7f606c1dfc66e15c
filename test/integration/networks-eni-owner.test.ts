// Whose an ENI is, through the real @aws-sdk/client-ec2 against moto's EC2 server: each provisioner
// stands for one deployment (a project and a random stack id in its labels, which become the ENI's
// owner tags). A look-alike — the same name tags, made by another deployment of the same files or
// by an older scs — is never attached, detached or deleted, only reported, until `scs adopt` takes it.

import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNetworkInterfacesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceLabels } from '../../src/agent/identity.ts';
import { ec2Settings } from '../../src/aws/ec2-settings.ts';
import type { EniOptions } from '../../src/manifest/compiled.ts';
import { EniProvisioner } from '../../src/networks/aws-ec2-eni.ts';
import { recordingLogger } from '../helpers/logging.ts';
import { MOTO_CREDENTIALS, type Moto, motoProblem, startMoto } from '../helpers/moto.ts';

const problem = motoProblem();
const ZONE = 'us-east-1a';
const STACK = `enio${process.pid}`;
const deployment = (stackId: string, project = 'host-a') =>
  resourceLabels({ stack: STACK, environment: 'test', project, host: project, stackId });
const FIRST = deployment('1'.repeat(32));
const SECOND = deployment('2'.repeat(32));

describe.skipIf(problem !== undefined)(`whose an aws-ec2-eni is, against moto${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let moto: Moto;
  let instanceA: string;
  let instanceB: string;
  let subnet: string;
  const nameTags = (service: string) => ({ 'scs:stack': STACK, 'scs:environment': 'test', 'scs:service': service });
  const options = (service: string): EniOptions => ({ subnet, securityGroups: [], deviceIndex: 1, tags: nameTags(service) });
  const provisioner = (service: string, labels = FIRST, instance = instanceA, logger = recordingLogger().logger) =>
    new EniProvisioner(
      service,
      options(service),
      ec2Settings({
        ...MOTO_CREDENTIALS,
        SCS_EC2_ENDPOINT: moto.endpoint,
        SCS_EC2_IMDS_ENDPOINT: moto.endpoint,
        SCS_EC2_INSTANCE_ID: instance,
        SCS_EC2_AZ: ZONE,
        SCS_EC2_WAIT_SECONDS: '20',
      }),
      { labels, logger },
    );
  const enisOf = async (service: string) =>
    (
      await moto.ec2.send(
        new DescribeNetworkInterfacesCommand({
          Filters: [
            { Name: 'tag:scs:stack', Values: [STACK] },
            { Name: 'tag:scs:service', Values: [service] },
          ],
        }),
      )
    ).NetworkInterfaces ?? [];
  const lookAlike = async (tags: Record<string, string>) =>
    (
      await moto.ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: subnet,
          TagSpecifications: [{ ResourceType: 'network-interface', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
        }),
      )
    ).NetworkInterface!.NetworkInterfaceId!;

  beforeAll(async () => {
    moto = await startMoto();
    instanceA = await moto.runInstance(ZONE);
    instanceB = await moto.runInstance(ZONE);
    const vpc = await moto.ec2.send(new CreateVpcCommand({ CidrBlock: '10.98.0.0/16' }));
    subnet = (await moto.ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: '10.98.1.0/24', AvailabilityZone: ZONE })))
      .Subnet!.SubnetId!;
  }, 60_000);

  afterAll(async () => {
    await moto?.stop();
  });

  it('is made with the owner tags, and a second deployment of the same files neither attaches nor deletes it', async () => {
    const first = provisioner('api');
    await first.provision();
    const [made] = await enisOf('api');
    expect(made!.TagSet).toEqual(
      expect.arrayContaining([
        { Key: 'scs:project', Value: 'host-a' },
        { Key: 'scs:stack-id', Value: '1'.repeat(32) },
        { Key: 'scs:host', Value: 'host-a' },
      ]),
    );
    const id = made!.NetworkInterfaceId!;
    const log = recordingLogger();
    const second = provisioner('api', SECOND, instanceB, log.logger);
    await expect(second.provision()).rejects.toThrow(
      `the ENI of api matches ${id} (of project host-a, stack id 11111111) by its tags, but it is not this deployment's, so it is left alone; if it is this service's`,
    );
    expect(await second.provisioned()).toBe(false);
    await expect(second.attach()).rejects.toThrow('the ENI of api does not exist yet');
    expect(await second.status()).toBe(`not created; ${id} not this deployment's (scs adopt)`);
    await second.deprovision();
    expect(log.lines('warn')).toEqual([
      `the ENI of api matches ${id} (of project host-a, stack id 11111111) by its tags, but it is not this deployment's, so it is not deleted`,
    ]);
    expect((await enisOf('api')).map((eni) => [eni.NetworkInterfaceId, eni.Attachment?.InstanceId])).toEqual([[id, undefined]]);

    // Its own deployment attaches, detaches and deletes it as before.
    await first.attach();
    expect((await enisOf('api'))[0]!.Attachment).toMatchObject({ InstanceId: instanceA, Status: 'attached' });
    await first.deprovision();
    expect(await enisOf('api')).toEqual([]);
  }, 60_000);

  it('deprovision (down --volumes) leaves an untagged look-alike, reporting it in one line, and deletes its own', async () => {
    const a = provisioner('web');
    await a.provision();
    const [ours] = await enisOf('web');
    const theirs = await lookAlike(nameTags('web'));
    const log = recordingLogger();
    await provisioner('web', FIRST, instanceA, log.logger).deprovision();
    expect(log.lines().filter((line) => line.includes(theirs))).toEqual([
      `the ENI of web matches ${theirs} (made by an older scs, without a stack id) by its tags, but it is not this deployment's, so it is not deleted`,
    ]);
    expect(log.lines('info')).toContain(`web: deleted ${ours!.NetworkInterfaceId}`);
    expect((await enisOf('web')).map((eni) => eni.NetworkInterfaceId)).toEqual([theirs]);
  }, 60_000);

  it('adopts the one ENI an older scs made (the same ENI, so its address stays), and refuses one attached to another instance', async () => {
    const old = await lookAlike(nameTags('mail'));
    const a = provisioner('mail');
    await expect(a.provision()).rejects.toThrow(`matches ${old} (made by an older scs, without a stack id)`);
    expect(await a.adopt()).toBe(true);
    await a.provision();
    expect((await enisOf('mail')).map((eni) => eni.NetworkInterfaceId)).toEqual([old]);
    await a.deprovision();

    const held = await lookAlike(nameTags('queue'));
    await moto.ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: held, InstanceId: instanceB, DeviceIndex: 1 }));
    await expect(provisioner('queue').adopt()).rejects.toThrow(
      `the ENI of queue (${held}) is attached to ${instanceB}; run scs down there first, then adopt it here`,
    );
    expect((await enisOf('queue'))[0]!.TagSet!.some((tag) => tag.Key === 'scs:stack-id')).toBe(false);
  }, 60_000);
});
