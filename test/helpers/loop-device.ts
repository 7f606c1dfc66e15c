// A loop device standing in for a disk (an EBS volume's), for the tests that mount one: why they
// cannot run here, if they cannot.

import { execFileSync } from 'node:child_process';

/** Why no test can attach and mount a loop device here: none free, the filesystem tools missing, or not root. */
export function loopProblem(): string | undefined {
  try {
    execFileSync('losetup', ['--find'], { stdio: 'pipe' });
  } catch {
    return 'no free loop device (losetup --find failed)';
  }
  try {
    execFileSync('which', ['mkfs.ext4', 'blkid', 'mount'], { stdio: 'ignore' });
  } catch {
    return 'mkfs.ext4, blkid or mount is missing';
  }
  return process.getuid?.() === 0 ? undefined : 'loop devices and mounting need root';
}
