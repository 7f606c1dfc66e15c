// The volume methods in the stack file: what each compiles to, and the words of each refusal,
// with the file, line and key path.

import { describe, expect, it } from 'vitest';
import { containerSpec } from '../../src/agent/spec.ts';
import { ec2Settings } from '../../src/aws/ec2-settings.ts';
import { explainEc2Error } from '../../src/aws/errors.ts';
import { ebsDeviceCandidates } from '../../src/volumes/block-device.ts';
import { volumeProvisioner } from '../../src/volumes/methods.ts';
import { nfsDriver } from '../../src/volumes/nfs.ts';
import { quietLogger } from '../helpers/logging.ts';
import { compileAt, project } from '../helpers/project.ts';

const IDENTITY = { stack: 'shop', environment: 'prod', project: 'host-1', host: 'host-1' };
const db = 'from: scs-base:busybox\nvolumes:\n  data: /var/lib/db\n';
const compiledService = (volume: string) =>
  compileAt(
    project({
      'scs-stack.yaml': `name: shop\nenvironment: prod\nservices:\n  db:\n    image: ./db\n    volumes:\n      data: ${volume}\n`,
      'db/scs.yaml': db,
    }),
  ).services[0]!;

describe('volume methods in the stack file', () => {
  it('compiles nfs to a Docker volume with its server, export, version and options', () => {
    const service = compiledService('{ method: nfs, server: nfs.internal, path: /exports/shop, version: 4.1, options: "soft,timeo=50" }');
    expect(service.container.volumes).toEqual([
      {
        name: 'data',
        target: '/var/lib/db',
        method: 'nfs',
        shareable: false,
        source: 'shop-prod-db-data',
        nfs: { server: 'nfs.internal', path: '/exports/shop', version: '4.1', options: 'soft,timeo=50' },
      },
    ]);
    expect(containerSpec(service, IDENTITY, new Map()).mounts).toEqual([
      { type: 'volume', source: 'shop-prod-db-data', target: '/var/lib/db' },
    ]);
    expect(nfsDriver({ server: 'nfs.internal', path: '/exports/shop', version: '4', options: undefined })).toEqual({
      driver: 'local',
      options: { type: 'nfs', o: 'addr=nfs.internal,nfsvers=4', device: ':/exports/shop' },
    });
  });

  it('formats over data only when the volume says format: force', () => {
    const [volume] = compiledService('{ method: aws-ec2-ebs, size: 10, format: force }').container.volumes;
    expect(volume).toMatchObject({ ebs: { format: 'force' } });
  });

  it('compiles aws-ec2-ebs with its defaults, tags and host mount point, bound in and replaced stop-first', () => {
    const service = compiledService('{ method: aws-ec2-ebs, size: 10 }');
    expect(service.container.volumes[0]).toEqual({
      name: 'data',
      target: '/var/lib/db',
      method: 'aws-ec2-ebs',
      shareable: false,
      source: '/var/lib/scs/ebs/shop-prod-db-data',
      ebs: {
        size: 10,
        type: 'gp3',
        iops: undefined,
        encrypted: false,
        device: '/dev/xvdf',
        filesystem: 'ext4',
        format: 'blank',
        tags: { 'scs:stack': 'shop', 'scs:environment': 'prod', 'scs:service': 'db', 'scs:volume': 'data' },
      },
    });
    expect(containerSpec(service, IDENTITY, new Map()).mounts).toEqual([
      { type: 'bind', source: '/var/lib/scs/ebs/shop-prod-db-data', target: '/var/lib/db' },
    ]);
    expect(service.replace.order).toBe('stop-first');
    expect(
      compiledService('{ method: aws-ec2-ebs, size: 10, type: io2, iops: 4000, encrypted: true, mountpoint: /srv/db }').container
        .volumes[0],
    ).toMatchObject({
      source: '/srv/db',
      ebs: { type: 'io2', iops: 4000, encrypted: true },
    });
  });

  it.each([
    [
      '{ method: nfs, path: /exports/shop }',
      /scs-stack\.yaml:7 services\.db\.volumes\.data\.server: expected an NFS volume like \{method: nfs, server: nfs\.internal, path: \/exports\/data\}/,
    ],
    [
      '{ method: nfs, server: nfs.internal, path: exports }',
      /services\.db\.volumes\.data\.path: expected an export path like "\/exports\/data"/,
    ],
    ['{ method: nfs, server: nfs.internal, path: /x, version: 5 }', /services\.db\.volumes\.data\.version: expected 3, 4, 4\.1 or 4\.2/],
    ['{ method: aws-ec2-ebs }', /services\.db\.volumes\.data\.size: expected an EBS volume like \{method: aws-ec2-ebs, size: 10\}/],
    ['{ method: aws-ec2-ebs, size: 1.5 }', /services\.db\.volumes\.data\.size: expected a whole number of GiB/],
    [
      '{ method: aws-ec2-ebs, size: 10, type: gp9 }',
      /services\.db\.volumes\.data\.type: expected gp2, gp3, io1, io2, st1, sc1 or standard/,
    ],
    [
      '{ method: aws-ec2-ebs, size: 10, device: /dev/sda }',
      /services\.db\.volumes\.data\.device: expected a device name from \/dev\/xvdf to \/dev\/xvdp/,
    ],
    ['{ method: aws-ec2-ebs, size: 10, mountpoint: data }', /services\.db\.volumes\.data\.mountpoint: expected an absolute host path/],
    ['{ method: aws-ec2-ebs, size: 10, shareable: true }', /services\.db\.volumes\.data\.shareable/],
    [
      '{ method: aws-ec2-ebs, size: 10, type: gp2, iops: 3000 }',
      /scs-stack\.yaml:7 services\.db\.volumes\.data\.iops: a gp2 volume has no settable IOPS \(only gp3, io1 and io2 do\)/,
    ],
    ['{ method: aws-ec2-ebs, size: 10, type: io1 }', /services\.db\.volumes\.data\.iops: an io1 volume needs iops, e\.g\. iops: 3000/],
    ['{ method: aws-ec2-ebs, size: 10, format: always }', /services\.db\.volumes\.data\.format: expected blank or force/],
  ])('refuses %s', (volume, message) => {
    expect(() => compiledService(volume)).toThrow(message);
  });
});

describe('EBS on the host', () => {
  it('looks for the Nitro by-id name first, then the Xen names of the requested device', () => {
    expect(ebsDeviceCandidates('/dev', 'vol-0abc', '/dev/sdg')).toEqual([
      '/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc',
      '/dev/xvdg',
      '/dev/sdg',
    ]);
  });

  it('says a reached quota plainly, and any other EC2 error with its code', () => {
    const quota = Object.assign(new Error('You have exceeded your maximum gp3 storage limit\nmore'), { name: 'VolumeLimitExceeded' });
    expect(explainEc2Error(quota, 'create the 10 GiB gp3 EBS volume data (db)').message).toBe(
      "cannot create the 10 GiB gp3 EBS volume data (db): the account's quota is reached (VolumeLimitExceeded: You have exceeded your maximum gp3 storage limit)",
    );
    const denied = Object.assign(new Error('not authorized'), { name: 'UnauthorizedOperation' });
    expect(explainEc2Error(denied, 'attach x').message).toBe('cannot attach x: UnauthorizedOperation: not authorized');
  });

  it('checks its settings from the environment, naming the variable', () => {
    expect(() => ec2Settings({ SCS_EC2_INSTANCE_ID: 'web-1' })).toThrow('SCS_EC2_INSTANCE_ID: expected an instance id like i-0abc123');
    expect(() => ec2Settings({ SCS_EC2_ENDPOINT: 'localhost' })).toThrow('SCS_EC2_ENDPOINT: expected a URL like http://127.0.0.1:5000');
    expect(ec2Settings({})).toMatchObject({ imds: 'http://169.254.169.254', deviceRoot: '/dev', waitMs: 120_000, credentials: undefined });
  });

  it('makes an EBS provisioner without loading its code, and checks its settings on its first call', async () => {
    const [volume] = compiledService('{ method: aws-ec2-ebs, size: 10 }').container.volumes;
    const provisioner = volumeProvisioner(volume!, {
      engine: undefined as never,
      labels: {},
      logger: quietLogger,
      env: { SCS_EC2_INSTANCE_ID: 'web-1' },
    });
    expect(provisioner.method).toBe('aws-ec2-ebs');
    await expect(provisioner.status()).rejects.toThrow('SCS_EC2_INSTANCE_ID: expected an instance id like i-0abc123');
  });
});
