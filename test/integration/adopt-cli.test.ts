// `scs adopt` as a user runs it, against moto's EC2 server with the real SDK: it needs no Docker.
// It tries every EBS volume and ENI of the stack: the one look-alike of an ENI is adopted, while a
// volume with two look-alikes is refused in one sentence and left as it was, and the exit status says so.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVolumesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStackId } from '../../src/agent/stack-id.ts';
import { stateFolder } from '../../src/agent/state-folder.ts';
import { scs } from '../helpers/cli.ts';
import { MOTO_CREDENTIALS, type Moto, motoProblem, startMoto } from '../helpers/moto.ts';
import { project } from '../helpers/project.ts';

const problem = motoProblem();
const ZONE = 'us-east-1a';
const STACK = `adopt${process.pid}`;
const tagged = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

describe.skipIf(problem !== undefined)(`scs adopt${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let moto: Moto;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    moto = await startMoto();
    const instance = await moto.runInstance(ZONE);
    const vpc = await moto.ec2.send(new CreateVpcCommand({ CidrBlock: '10.97.0.0/16' }));
    const subnet = (
      await moto.ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: '10.97.1.0/24', AvailabilityZone: ZONE }))
    ).Subnet!.SubnetId!;
    env = {
      ...MOTO_CREDENTIALS,
      SCS_EC2_ENDPOINT: moto.endpoint,
      SCS_EC2_IMDS_ENDPOINT: moto.endpoint,
      SCS_EC2_INSTANCE_ID: instance,
      SCS_EC2_AZ: ZONE,
    };
    dir = project({
      'scs-stack.yaml': [
        `name: ${STACK}`,
        'environment: test',
        'services:',
        '  db:',
        '    image: ./db',
        '    volumes:',
        '      data: { method: aws-ec2-ebs, size: 1 }',
        `    network: { method: aws-ec2-eni, subnet: ${subnet} }`,
        '',
      ].join('\n'),
      'db/scs.yaml': 'from: scs-base:busybox\nvolumes:\n  data: /data\ncommand: [sleep, "3600"]\n',
    });
    const names = { 'scs:stack': STACK, 'scs:environment': 'test', 'scs:service': 'db' };
    for (let i = 0; i < 2; i++)
      await moto.ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: ZONE,
          Size: 1,
          TagSpecifications: [{ ResourceType: 'volume', Tags: tagged({ ...names, 'scs:volume': 'data' }) }],
        }),
      );
    await moto.ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: subnet,
        TagSpecifications: [{ ResourceType: 'network-interface', Tags: tagged(names) }],
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adopts the one look-alike, refuses where there are two, and exits 1 saying how many could not be adopted', async () => {
    const adopt = scs(['adopt', '-f', join(dir, 'scs-stack.yaml'), '-p', 'host-a'], env);
    expect(await adopt.exited).toBe(1);
    const output = `${adopt.stdout}${adopt.stderr}`;
    expect(output).toMatch(
      /volume data \(db\) matches vol-\w+ \(made by an older scs, without a stack id\), vol-\w+ \(made by an older scs, without a stack id\) by its tags, but they are not this deployment's, and only one can be adopted: delete or retag all but one/,
    );
    expect(output).toMatch(/the ENI of db: adopted eni-\w+ \(made by an older scs, without a stack id\); it is this deployment's now/);
    expect(output).toContain('1 of 2 could not be adopted (said above)');

    // The stack id was made for this project, as the agent `scs up` starts will read it.
    const id = readStackId(stateFolder('host-a', STACK));
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const volumes = (await moto.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:scs:stack', Values: [STACK] }] }))).Volumes!;
    expect(volumes.map((v) => v.Tags!.some((tag) => tag.Key === 'scs:stack-id'))).toEqual([false, false]);
    const [eni] = (await moto.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'tag:scs:stack', Values: [STACK] }] })))
      .NetworkInterfaces!;
    expect(eni!.TagSet).toEqual(
      expect.arrayContaining([
        { Key: 'scs:project', Value: 'host-a' },
        { Key: 'scs:stack-id', Value: id },
      ]),
    );

    // Run again: the ENI is its own already; nothing more is adopted.
    const again = scs(['adopt', '-f', join(dir, 'scs-stack.yaml'), '-p', 'host-a', 'db'], env);
    expect(await again.exited).toBe(1);
    expect(`${again.stdout}${again.stderr}`).toMatch(/the ENI of db: eni-\w+ is this deployment's already/);
  }, 60_000);
});
