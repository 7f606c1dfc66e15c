// aws-ec2-eni through `scs up` and `scs down` on the real Docker daemon and moto's EC2 server. The
// kernel here has no dummy driver: when the ENI shows up in moto, the test makes a veth pair whose
// one end carries the ENI's MAC (as a hot-plugged NIC would appear), and leaves the other end down,
// so no packet leaves the container. The container really gets the interface, address and route.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNetworkInterfacesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/engine.ts';
import { interfaceByMac } from '../../src/networks/netns.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { MOTO_CREDENTIALS, type Moto, motoProblem, startMoto } from '../helpers/moto.ts';

function vethProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'moving interfaces between namespaces needs root';
  try {
    execFileSync('which', ['ip', 'nsenter'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'ip or nsenter is missing';
  }
}
const problem = dockerProblem ?? motoProblem() ?? vethProblem();
const STACK = `eni${process.pid}`;
const ZONE = 'us-east-1a';
const VETH = `scseni${process.pid % 100000}`;

describe.skipIf(problem !== undefined)(`aws-ec2-eni through scs up and down${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let moto: Moto;
  let dir: string;
  let instance: string;
  let subnet: string;
  const files = () => ['-f', join(dir, 'scs-stack.yaml')];
  const env = () => ({
    ...MOTO_CREDENTIALS,
    SCS_EC2_ENDPOINT: moto.endpoint,
    SCS_EC2_IMDS_ENDPOINT: moto.endpoint,
    SCS_EC2_INSTANCE_ID: instance,
    SCS_EC2_AZ: ZONE,
    SCS_EC2_WAIT_SECONDS: '20',
  });
  const enis = async () =>
    (await moto.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'tag:scs:stack', Values: [STACK] }] })))
      .NetworkInterfaces ?? [];
  const run = async (...args: string[]) => {
    const done = scs([...args, ...files()], env());
    expect(await done.exited, `scs ${args.join(' ')}: ${done.stderr}`).toBe(0);
    return done.stdout;
  };
  /** Plays the kernel: once the ENI exists, an interface with its MAC appears on the host. */
  const plugWhenCreated = async () => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const [eni] = await enis();
      if (eni?.MacAddress) {
        execFileSync('ip', ['link', 'add', VETH, 'address', eni.MacAddress, 'type', 'veth', 'peer', 'name', `${VETH}p`]);
        return eni;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('scs up made no ENI within 60 s');
  };

  beforeAll(async () => {
    moto = await startMoto();
    instance = await moto.runInstance(ZONE);
    const vpc = await moto.ec2.send(new CreateVpcCommand({ CidrBlock: '10.99.0.0/16' }));
    const made = await moto.ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: '10.99.1.0/24', AvailabilityZone: ZONE }));
    subnet = made.Subnet!.SubnetId!;
    // moto hands out the subnet's first address, which AWS keeps for the router: take it with a filler.
    await moto.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet }));
    dir = mkdtempSync(join(tmpdir(), 'scs-eni-'));
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app/scs.yaml'), 'from: scs-base:busybox\nprovides:\n  http: { port: 8080 }\ncommand: [sleep, "3600"]\n');
    writeFileSync(
      join(dir, 'scs-stack.yaml'),
      [
        `name: ${STACK}`,
        'environment: test',
        'dns: none',
        'services:',
        '  app:',
        '    image: ./app',
        '    restart: "no"',
        `    network: { method: aws-ec2-eni, subnet: ${subnet} }`,
        '',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    await scs(['down', '--volumes', ...files()], env()).exited;
    try {
      execFileSync('ip', ['link', 'del', VETH], { stdio: 'ignore' });
    } catch {
      // Gone with the container's namespace.
    }
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('creates and attaches the ENI, moves it into the container with its address and route, detaches on down, deletes on down --volumes', async () => {
    const up = scs(['up', '-d', ...files()], env());
    const eni = await plugWhenCreated();
    expect(await up.exited, up.stderr).toBe(0);

    const [now] = await enis();
    expect(now?.Attachment).toMatchObject({ InstanceId: instance, Status: 'attached', DeviceIndex: 1 });
    expect(interfaceByMac(eni.MacAddress!)).toBeUndefined(); // no longer on the host: inside the container
    const [app] = await engine.list({ [LABEL.stack]: STACK, [LABEL.service]: 'app' });
    const inside = await engine.exec(app!.id, ['sh', '-c', `ip -o addr show ${VETH}; ip route show default`], {});
    expect(inside.exitCode).toBe(0);
    expect(inside.output).toContain(`inet ${eni.PrivateIpAddress}/24`);
    expect(inside.output).toContain(`default via 10.99.1.1 dev ${VETH}`);
    const ps = await run('ps');
    expect(ps).toContain(`http.app.${STACK}.test ${eni.PrivateIpAddress}:8080`);
    expect(ps).toMatch(
      new RegExp(
        `app\\s+\\(network\\)\\s+aws-ec2-eni\\s+${eni.NetworkInterfaceId} attached ${eni.PrivateIpAddress!.replaceAll('.', '\\.')}`,
      ),
    );

    await run('down');
    const [after] = await enis();
    expect(after?.NetworkInterfaceId).toBe(eni.NetworkInterfaceId);
    expect(after?.Attachment?.InstanceId).toBeUndefined();

    await run('down', '--volumes');
    expect(await enis()).toEqual([]);
  }, 240_000);
});
