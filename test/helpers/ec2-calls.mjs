// The EC2 calls the tests make of moto, with the real @aws-sdk/client-ec2: a plain script's module,
// so that ec2.mjs (run inside a harness namespace) and moto.ts (in the tests' own) share them.

import { DescribeImagesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';

/** Starts an instance in `zone`, standing in for a host of the stack: its id. */
export async function runInstance(ec2, zone) {
  const image = (await ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId;
  const run = await ec2.send(
    new RunInstancesCommand({ ImageId: image, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', Placement: { AvailabilityZone: zone } }),
  );
  return run.Instances[0].InstanceId;
}
