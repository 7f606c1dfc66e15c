// nfs on the real Docker daemon: the volume as Docker creates it (local driver, NFS options). The
// mount itself needs the kernel's NFS client and an export to mount: it runs where both are there
// (SCS_TEST_NFS=SERVER:/EXPORT), and is skipped with the reason otherwise.

import { readFileSync } from 'node:fs';
import { consola } from 'consola';
import { afterAll, describe, expect, it } from 'vitest';
import { NfsProvisioner } from '../../src/volumes/nfs.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';

const kernelHasNfs = /\tnfs4?\n/.test(readFileSync('/proc/filesystems', 'utf8'));
const mountProblem = !kernelHasNfs
  ? 'this kernel has no NFS client (no nfs in /proc/filesystems)'
  : !process.env.SCS_TEST_NFS
    ? 'no export to mount: set SCS_TEST_NFS=SERVER:/EXPORT'
    : undefined;
const logger = consola.create({ level: 1 });
const NAME = `scs-nfs-test-${process.pid}`;
const context = { engine, labels: { 'scs.test': 'nfs' }, logger };

describe.skipIf(dockerProblem !== undefined)(
  `nfs volumes on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    afterAll(async () => {
      for (const name of [NAME, `${NAME}-mounted`]) if (await engine.volumeExists(name)) await engine.removeVolume(name);
    });

    it('creates a local-driver volume with the NFS server, export, version and options, and deletes it on deprovision', async () => {
      const nfs = new NfsProvisioner(
        NAME,
        { server: '127.0.0.1', path: '/exports/data', version: '4.1', options: 'soft,timeo=50' },
        context,
      );
      await nfs.provision();
      await nfs.provision(); // there already, same options: nothing changes
      const inspected = await engine.docker.getVolume(NAME).inspect();
      expect(inspected.Driver).toBe('local');
      expect(inspected.Options).toEqual({ type: 'nfs', o: 'addr=127.0.0.1,nfsvers=4.1,soft,timeo=50', device: ':/exports/data' });
      expect(inspected.Labels).toEqual({ 'scs.test': 'nfs' });
      expect(await nfs.attach()).toEqual({ type: 'volume', source: NAME });
      expect(await nfs.status()).toBe(`${NAME} created (127.0.0.1:/exports/data, NFS 4.1)`);

      const moved = new NfsProvisioner(
        NAME,
        { server: '127.0.0.1', path: '/exports/other', version: '4.1', options: 'soft,timeo=50' },
        context,
      );
      await expect(moved.provision()).rejects.toThrow(`the Docker volume ${NAME} exists with other options`);

      await nfs.detach();
      expect(await engine.volumeExists(NAME)).toBe(true);
      await nfs.deprovision();
      expect(await engine.volumeExists(NAME)).toBe(false);
    });

    it.skipIf(mountProblem !== undefined)(
      `mounts the export in a container${mountProblem ? ` (skipped: ${mountProblem})` : ''}`,
      async () => {
        const [server, path] = process.env.SCS_TEST_NFS!.split(':') as [string, string];
        const nfs = new NfsProvisioner(`${NAME}-mounted`, { server, path, version: '4', options: undefined }, context);
        await nfs.provision();
        const container = await engine.docker.createContainer({
          Image: 'scs-base:busybox',
          Cmd: ['sh', '-c', 'grep " /data " /proc/mounts'],
          HostConfig: { Mounts: [{ Type: 'volume', Source: `${NAME}-mounted`, Target: '/data' }] },
        });
        await container.start();
        expect((await container.wait()).StatusCode).toBe(0);
        await container.remove();
      },
    );
  },
);
