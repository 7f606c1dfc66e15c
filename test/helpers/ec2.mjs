// Runs inside a harness namespace, where moto's EC2 server listens (test/helpers/harness-aws.ts): the
// real @aws-sdk/client-ec2 asks it one thing and prints the answer as one JSON line.
//   node ec2.mjs ENDPOINT ready                  waits (up to 30 s) until the server answers
//   node ec2.mjs ENDPOINT run-instance ZONE      starts an instance in ZONE: {"id"}
//   node ec2.mjs ENDPOINT volumes STACK          the stack's volumes: [{"id", "zone", "name", "attachments": [{"instance", "state"}]}]
// Credentials and region come from the environment (AWS_*), as moto accepts any.
import { DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { runInstance } from './ec2-calls.mjs';

const [endpoint, action, argument] = process.argv.slice(2);
const ec2 = new EC2Client({ endpoint });
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

if (action === 'ready') {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`moto did not answer at ${endpoint} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  print({ ready: true });
} else if (action === 'run-instance') {
  print({ id: await runInstance(ec2, argument) });
} else if (action === 'volumes') {
  const { Volumes = [] } = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:scs:stack', Values: [argument] }] }));
  print(
    Volumes.map((volume) => ({
      id: volume.VolumeId,
      zone: volume.AvailabilityZone,
      name: volume.Tags?.find((tag) => tag.Key === 'Name')?.Value,
      tags: Object.fromEntries((volume.Tags ?? []).map((tag) => [tag.Key, tag.Value])),
      attachments: (volume.Attachments ?? []).map((attachment) => ({ instance: attachment.InstanceId, state: attachment.State })),
    })),
  );
} else {
  throw new Error(`unknown action ${action}`);
}
ec2.destroy();
