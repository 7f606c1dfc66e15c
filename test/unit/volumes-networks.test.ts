// `network: {method: aws-ec2-eni}` in the stack file: what it compiles to, and its refusals.

import { describe, expect, it } from 'vitest';
import { containerSpec } from '../../src/agent/spec.ts';
import { subnetRouter } from '../../src/networks/aws-ec2-eni.ts';
import { compileAt, project } from '../helpers/project.ts';

const IDENTITY = { stack: 'shop', environment: 'prod', project: 'host-1', host: 'host-1' };
const compiledService = (network: string) =>
  compileAt(
    project({
      'scs-stack.yaml': `name: shop\nenvironment: prod\nservices:\n  api:\n    image: ./api\n    network: ${network}\n`,
      'api/scs.yaml': 'from: scs-base:busybox\nprovides:\n  http: { port: 8080 }\n',
    }),
  ).services[0]!;

describe('aws-ec2-eni networks in the stack file', () => {
  it('compiles to a container without Docker networking, the ENI found by its tags, replaced stop-first', () => {
    const service = compiledService('{ method: aws-ec2-eni, subnet: subnet-0abc, security-groups: [sg-01, sg-02] }');
    expect(service.container.network).toBe('none');
    expect(service.container.eni).toEqual({
      subnet: 'subnet-0abc',
      securityGroups: ['sg-01', 'sg-02'],
      deviceIndex: 1,
      tags: { 'scs:stack': 'shop', 'scs:environment': 'prod', 'scs:service': 'api' },
    });
    expect(service.replace).toMatchObject({ order: 'stop-first', why: 'its ENI is in one container at a time' });
    const spec = containerSpec(service, IDENTITY, new Map(), { network: 'scs-shop-prod-host-1' });
    expect(spec.network).toBe('none');
    expect(spec.networkName).toBeUndefined();
    expect(compiledService('{ method: bridge }').container.eni).toBeUndefined();
  });

  it.each([
    [
      '{ method: aws-ec2-eni }',
      /scs-stack\.yaml:6 services\.api\.network\.subnet: expected an ENI network like \{method: aws-ec2-eni, subnet: subnet-0abc\}/,
    ],
    ['{ method: aws-ec2-eni, subnet: default }', /services\.api\.network\.subnet: expected a subnet id like "subnet-0abc"/],
    [
      '{ method: aws-ec2-eni, subnet: subnet-1, security-groups: [web] }',
      /services\.api\.network\.security-groups\.0: expected a security group id like "sg-0abc"/,
    ],
    [
      '{ method: aws-ec2-eni, subnet: subnet-1, device-index: 0 }',
      /services\.api\.network\.device-index: expected a device index of at least 1/,
    ],
    ['{ method: overlay }', /services\.api\.network\.method: expected "bridge", "host" or "aws-ec2-eni"/],
  ])('refuses %s', (network, message) => {
    expect(() => compiledService(network)).toThrow(message);
  });

  it("routes through the subnet's first address, the VPC router", () => {
    expect(subnetRouter('10.0.1.0/24')).toEqual({ gateway: '10.0.1.1', prefixLength: 24 });
    expect(subnetRouter('172.31.16.0/20')).toEqual({ gateway: '172.31.16.1', prefixLength: 20 });
  });
});
