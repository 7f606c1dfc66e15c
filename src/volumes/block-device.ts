// The host side of an attached disk: find its block device, make a filesystem on it only when it
// is blank (or the volume says format: force), and mount it where the container's bind mount points.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { EbsOptions } from '../manifest/compiled.ts';
import { type DiskContent, diskContent } from './disk-content.ts';
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

/** `blank`: format only a disk that holds nothing; `force`: also one that holds data, or another filesystem. */
export type FormatRule = EbsOptions['format'];

/**
 * What to do with a disk before mounting it: keep what is on it, or make `filesystem`; a disk that
 * holds data no filesystem names is refused unless the volume says `format: force`.
 */
export function formatDecision(content: DiskContent, filesystem: 'ext4' | 'xfs', rule: FormatRule, device: string): 'keep' | 'format' {
  if (content.kind === 'blank') return 'format';
  if (content.kind === 'signature') return rule === 'force' && content.type !== filesystem ? 'format' : 'keep';
  if (rule === 'force') return 'format';
  throw new VolumeError(
    `${device} holds data that is not a filesystem (its first or last MiB is not all zeroes, and blkid names nothing), so it is not formatted; say format: force on the volume to format it, data and all`,
  );
}

/** Makes `filesystem` on the disk when formatDecision says so; true when it did. */
export async function prepareFilesystem(device: string, filesystem: 'ext4' | 'xfs', rule: FormatRule): Promise<boolean> {
  if (formatDecision(await diskContent(device), filesystem, rule, device) === 'keep') return false;
  await makeFilesystem(device, filesystem);
  return true;
}

/** Formats without asking (the caller decided): mkfs never prompts, with or without a tty. */
export async function makeFilesystem(device: string, filesystem: 'ext4' | 'xfs'): Promise<void> {
  await command(`mkfs.${filesystem}`, [filesystem === 'ext4' ? '-F' : '-f', '-q', device], `make an ${filesystem} filesystem on ${device}`);
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
