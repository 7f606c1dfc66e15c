// Which disks get a filesystem: real loop devices on sparse files, read by blkid and the agent's own
// read of each end, formatted by the real mkfs.ext4 and mounted. A disk is formatted only when it
// can be opened and read and both ends are zeroes, or when the volume says `format: force`.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mount, mountedAt, prepareFilesystem, unmount } from '../../src/volumes/block-device.ts';
import { loopProblem } from '../helpers/loop-device.ts';

const MIB = 1024 * 1024;

const problem = loopProblem();

/** What blkid says the disk holds: its TYPE, or undefined for nothing. */
function blkidType(device: string): string | undefined {
  try {
    return execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

describe.skipIf(problem !== undefined)(`making a filesystem only on a blank disk${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let dir: string;
  const attached: string[] = [];
  let count = 0;

  /** A loop device on a 16 MiB sparse file, after `fill` wrote on the file. */
  const disk = (fill: (file: string) => void = () => {}): string => {
    const file = join(dir, `disk-${++count}.img`);
    writeFileSync(file, '');
    execFileSync('truncate', ['-s', '16M', file]);
    fill(file);
    const device = execFileSync('losetup', ['--find', '--show', file], { encoding: 'utf8' }).trim();
    attached.push(device);
    return device;
  };
  const writeAt = (file: string, offset: number, bytes: Buffer) => {
    const fd = openSync(file, 'r+');
    writeSync(fd, bytes, 0, bytes.length, offset);
    closeSync(fd);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scs-format-'));
  });
  afterEach(async () => {
    for (const name of ['mnt']) await unmount(join(dir, name)).catch(() => {});
  });
  afterAll(() => {
    for (const device of attached) {
      try {
        execFileSync('losetup', ['-d', device], { stdio: 'ignore' });
      } catch {
        // Detached by the test already.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('formats a blank disk', async () => {
    const device = disk();
    expect(await prepareFilesystem(device, 'ext4', 'blank')).toBe(true);
    expect(blkidType(device)).toBe('ext4');
  }, 60_000);

  it('keeps and mounts an ext4 disk, with its files, even with format: force', async () => {
    const device = disk();
    execFileSync('mkfs.ext4', ['-q', '-F', device]);
    await mount(device, join(dir, 'mnt'));
    writeFileSync(join(dir, 'mnt', 'kept'), 'data');
    await unmount(join(dir, 'mnt'));

    expect(await prepareFilesystem(device, 'ext4', 'blank')).toBe(false);
    expect(await prepareFilesystem(device, 'ext4', 'force')).toBe(false);
    await mount(device, join(dir, 'mnt'));
    expect(mountedAt(join(dir, 'mnt'))).toBe(device);
    expect(readFileSync(join(dir, 'mnt', 'kept'), 'utf8')).toBe('data');
  }, 60_000);

  it.each([
    ['first', 0],
    ['last', 15 * MIB],
  ])(
    'refuses a disk whose %s MiB is random data, in one sentence naming it, and leaves the data',
    async (_end, offset) => {
      const data = randomBytes(MIB);
      let image = '';
      const device = disk((file) => {
        image = file;
        writeAt(file, offset, data);
      });
      await expect(prepareFilesystem(device, 'ext4', 'blank')).rejects.toThrow(
        `${device} holds data that is not a filesystem (its first or last MiB is not all zeroes, and blkid names nothing), so it is not formatted; say format: force on the volume to format it, data and all`,
      );
      expect(blkidType(device)).toBeUndefined();
      expect(
        readFileSync(image)
          .subarray(offset, offset + MIB)
          .equals(data),
      ).toBe(true);
    },
    60_000,
  );

  it('formats a disk of random data when the volume says format: force', async () => {
    const device = disk((file) => writeAt(file, 0, randomBytes(MIB)));
    expect(await prepareFilesystem(device, 'ext4', 'force')).toBe(true);
    expect(blkidType(device)).toBe('ext4');
  }, 60_000);

  it('refuses a path that does not exist, even with format: force', async () => {
    const missing = join(dir, 'no-such-disk');
    await expect(prepareFilesystem(missing, 'ext4', 'force')).rejects.toThrow(
      new RegExp(`^cannot open ${missing} to check that it is blank \\(ENOENT.*\\), so it is not formatted$`),
    );
  });

  it('refuses a loop device detached after it was found, even with format: force', async () => {
    const device = disk();
    execFileSync('losetup', ['-d', device]);
    await expect(prepareFilesystem(device, 'ext4', 'force')).rejects.toThrow(
      `cannot read ${device}: it has no bytes (a detached or absent disk), so it is not formatted`,
    );
  });

  it('refuses what is not a disk', async () => {
    mkdirSync(join(dir, 'folder'));
    await expect(prepareFilesystem(join(dir, 'folder'), 'ext4', 'force')).rejects.toThrow(
      `${join(dir, 'folder')} is not a block device, so it is not formatted`,
    );
  });
});
