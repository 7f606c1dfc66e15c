// The host side of an attached disk: find its block device, make a filesystem on it only when it
// is blank, and mount it where the container's bind mount points.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { VolumeError } from './errors.ts';

const run = promisify(execFile);

/**
 * Where an EBS volume's disk appears: on Nitro as an NVMe disk named by the volume id (without its
 * dash); on Xen under the requested name, which the kernel may call sdX or xvdX.
 */
export function ebsDeviceCandidates(root: string, volumeId: string, device: string): string[] {
  const letter = basename(device).replace(/^(sd|xvd)/, '');
  return [
    join(root, 'disk', 'by-id', `nvme-Amazon_Elastic_Block_Store_${volumeId.replace('-', '')}`),
    join(root, `xvd${letter}`),
    join(root, `sd${letter}`),
  ];
}

/** The first candidate that is there (its real path), waiting for the kernel to show it. */
export async function waitForDevice(candidates: string[], timeoutMs: number, what: string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = candidates.find((path) => existsSync(path));
    if (found) return realpathSync(found);
    if (Date.now() > deadline)
      throw new VolumeError(
        `${what} is attached, but no block device appeared at ${candidates.join(' or ')} within ${Math.round(timeoutMs / 1000)} s`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** True when the device holds no filesystem or other signature (blkid exits 2 for that). */
export async function isBlank(device: string): Promise<boolean> {
  try {
    await run('blkid', ['-p', device]);
    return false;
  } catch (error) {
    if ((error as { code?: number }).code === 2) return true;
    throw new VolumeError(`cannot tell whether ${device} holds a filesystem: ${oneLine(error)}`);
  }
}

export async function makeFilesystem(device: string, filesystem: 'ext4' | 'xfs'): Promise<void> {
  await command(
    `mkfs.${filesystem}`,
    filesystem === 'ext4' ? ['-q', device] : ['-q', device],
    `make an ${filesystem} filesystem on ${device}`,
  );
}

/** The device mounted at a path, from the kernel's mount table; undefined when nothing is. */
export function mountedAt(path: string): string | undefined {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [source, target] = line.split(' ');
    if (target === path) return source;
  }
  return undefined;
}

export async function mount(device: string, path: string): Promise<void> {
  const current = mountedAt(path);
  if (current === device) return;
  if (current) throw new VolumeError(`${path} already has ${current} mounted, not ${device}; unmount it first`);
  mkdirSync(path, { recursive: true });
  await command('mount', [device, path], `mount ${device} at ${path}`);
}

export async function unmount(path: string): Promise<void> {
  if (!mountedAt(path)) return;
  await command('umount', [path], `unmount ${path}`);
}

async function command(file: string, args: string[], what: string): Promise<void> {
  try {
    await run(file, args);
  } catch (error) {
    throw new VolumeError(`cannot ${what}: ${oneLine(error)}`);
  }
}

const oneLine = (error: unknown) => {
  const failure = error as { stderr?: string; message: string };
  return (failure.stderr?.trim() || failure.message).split('\n')[0]!;
};
