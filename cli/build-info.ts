// What this `scs` is: its version, and the git commit it was built from. The bundle carries both,
// captured by scripts/bundle.ts (a packed tarball says the commit it was packed from); the sources,
// run through tsx, read them from the checkout they are in.

import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';

export interface BuildInfo {
  readonly version: string;
  /** The commit, with `-dirty` when the tree had uncommitted changes; absent outside a git checkout. */
  readonly commit?: string;
}

const PackageSchema = v.object({ version: v.string() });

/** Reads the version from `root`'s package.json and the commit from git, if `root` is a checkout. */
export function readBuildInfo(root: string): BuildInfo {
  const file = join(root, 'package.json');
  const parsed = v.safeParse(PackageSchema, JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} has no version`);
  const { version } = parsed.output;
  const commit = gitCommit(root);
  return commit === undefined ? { version } : { version, commit };
}

function gitCommit(root: string): string | undefined {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    // Only a checkout whose top is `root` counts: a package unpacked inside some other repository is not ours.
    if (git('rev-parse', '--show-toplevel') !== realpathSync(root)) return undefined;
    const commit = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? commit : `${commit}-dirty`;
  } catch {
    return undefined; // not a checkout, or no git
  }
}

export function formatVersion(info: BuildInfo): string {
  return info.commit === undefined ? `scs ${info.version}` : `scs ${info.version} (commit ${info.commit})`;
}
