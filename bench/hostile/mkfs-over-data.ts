// A disk that is not blank handed to the EBS attach step: random data, a path that does not exist,
// and a loop device detached after it was found. Each is a real loop device (or its absence); the
// figure is how many of them got a filesystem made on them.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareFilesystem } from '../../src/volumes/block-device.ts';
import type { Attack } from './attack.ts';

const attack: Attack = {
  name: 'mkfs-over-data',
  replays: 'the attach step of an EBS volume meets random data, a missing path and a detached loop device',
  before: '1 of 3 formatted, the random data (all 3 taken for blank; mkfs failed on the other 2)',
  target: '0 of 3 formatted',
  async run() {
    if (process.getuid?.() !== 0) return { figure: 'not measured: loop devices need root', met: false };
    const dir = mkdtempSync(join(tmpdir(), 'scs-bench-mkfs-'));
    const devices: string[] = [];
    const loop = (fill: boolean) => {
      const file = join(dir, `disk-${devices.length}.img`);
      execFileSync('truncate', ['-s', '16M', file]);
      if (fill) {
        const fd = openSync(file, 'r+');
        writeSync(fd, randomBytes(1024 * 1024), 0, 1024 * 1024, 0);
        closeSync(fd);
      }
      const device = execFileSync('losetup', ['--find', '--show', file], { encoding: 'utf8' }).trim();
      devices.push(device);
      return device;
    };
    try {
      const detached = loop(false);
      execFileSync('losetup', ['-d', detached]);
      const cases = [loop(true), join(dir, 'no-such-disk'), detached];
      let formatted = 0;
      for (const device of cases) if (await prepareFilesystem(device, 'ext4', 'blank').catch(() => false)) formatted++;
      return { figure: `${formatted} of ${cases.length} formatted`, met: formatted === 0 };
    } finally {
      for (const device of devices) {
        try {
          execFileSync('losetup', ['-d', device], { stdio: 'ignore' });
        } catch {
          // Detached already.
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default attack;
