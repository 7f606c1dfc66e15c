// What an attached disk holds, found before anything writes on it: the disk is opened and its first
// and last MiB read here (blkid's "nothing found" also means "could not open" and "a signature I do
// not know"), then blkid names the filesystem, if any. A disk that cannot be opened or read is an
// error, never blank.

import { execFile } from 'node:child_process';
import { type BigIntStats, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { VolumeError } from './errors.ts';

const run = promisify(execFile);

/** How much of each end of the disk must be zeroes for it to count as blank. */
export const END_BYTES = 1024 * 1024;

export type DiskContent =
  /** Its first and last MiB are zeroes, and blkid finds no signature. */
  | { readonly kind: 'blank' }
  /** blkid names what is on it: a filesystem (`ext4`), or a partition table (`gpt`). */
  | { readonly kind: 'signature'; readonly type: string }
  /** Bytes that are not zeroes, in a shape blkid does not name. */
  | { readonly kind: 'data' };

export async function diskContent(device: string): Promise<DiskContent> {
  const ends = await readEnds(device);
  const type = await signature(device);
  if (type !== undefined) return { kind: 'signature', type };
  return ends.every(allZero) ? { kind: 'blank' } : { kind: 'data' };
}

export function allZero(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte !== 0) return false;
  return true;
}

/** The disk's first and last MiB (all of it when smaller), read through one read-only open. */
async function readEnds(device: string): Promise<Buffer[]> {
  const size = sizeOf(device);
  if (size === 0) throw new VolumeError(`cannot read ${device}: it has no bytes (a detached or absent disk), so it is not formatted`);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(device, 'r');
  } catch (error) {
    throw new VolumeError(`cannot open ${device} to check that it is blank (${(error as Error).message}), so it is not formatted`);
  }
  try {
    const length = Math.min(size, END_BYTES);
    return [await readExactly(handle, device, 0, length), await readExactly(handle, device, size - length, length)];
  } finally {
    await handle.close();
  }
}

async function readExactly(handle: Awaited<ReturnType<typeof open>>, device: string, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  try {
    while (done < length) {
      const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } catch (error) {
    throw new VolumeError(`cannot read ${device} to check that it is blank (${(error as Error).message}), so it is not formatted`);
  }
  if (done < length) throw new VolumeError(`cannot read ${device}: it ended ${length - done} bytes early, so it is not formatted`);
  return buffer;
}

/** Bytes: a block device's from sysfs (stat says 0 for it), a file's from stat. */
function sizeOf(device: string): number {
  let stats: BigIntStats;
  try {
    stats = statSync(device, { bigint: true });
  } catch (error) {
    throw new VolumeError(`cannot open ${device} to check that it is blank (${(error as Error).message}), so it is not formatted`);
  }
  if (stats.isFile()) return Number(stats.size);
  if (!stats.isBlockDevice()) throw new VolumeError(`${device} is not a block device, so it is not formatted`);
  const { rdev } = stats;
  // The kernel's dev_t layout, as glibc's major() and minor() read it.
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  try {
    return Number(readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'utf8').trim()) * 512;
  } catch (error) {
    throw new VolumeError(`cannot find the size of ${device} (${(error as Error).message}), so it is not formatted`);
  }
}

/** What blkid names on the disk, or undefined when it finds nothing; asked only once the disk was read. */
async function signature(device: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('blkid', ['-p', '-o', 'export', device]);
    const fields = new Map(stdout.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    return fields.get('TYPE') ?? fields.get('PTTYPE') ?? 'an unnamed signature';
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 2) return undefined;
    // 8: several signatures, none sure; the disk is not blank.
    if (code === 8) return 'several signatures';
    const failure = error as { stderr?: string; message: string };
    throw new VolumeError(
      `cannot tell whether ${device} holds a filesystem: ${(failure.stderr?.trim() || failure.message).split('\n')[0]}`,
    );
  }
}
