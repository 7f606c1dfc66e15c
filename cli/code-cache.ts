// V8's code cache of the bundle, one file per command, for cli/start.ts: a start that finds one
// deserializes what the last run of that command compiled instead of parsing and compiling it again
// (Node 20 has no module.enableCompileCache). One per command, because what `scs ps` compiles is not
// what `scs ls` does, and a cache holding both would cost each the other's share to read.
//
// A cache is never trusted blindly. V8 checks that a cache was made by this V8, with these flags,
// for a source of this length, but not the bytes in between (its checksum is only on in debug
// builds): a corrupt cache of the right length crashes Node in the deserializer. So a cache is used
// only when its file is this user's and only this user may write it, when its header names this very
// bundle (its build's hash, size and modification time), and when its payload is whole: the file holds
// it twice, and the two copies must be equal. A comparison (memcmp) costs some 0.4 ms where a checksum
// would cost 4 to 6 ms at each start: Node 20 has none that loads quickly (node:crypto and node:zlib
// each take about 4 ms to load, a loop in JavaScript as long, running cold). Anything amiss: no cache.

import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What a cache must have been made from: the bundle built with this hash, the file as it is now. */
export interface BundleIdentity {
  readonly hash: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Written before the payload, on the file's first line. */
interface Header extends BundleIdentity {
  readonly format: typeof FORMAT;
  /** The payload's length in bytes; the file holds the payload twice after the header line. */
  readonly length: number;
}

const FORMAT = 'scs code cache 1';
const SUFFIX = '.v8cache';
/** How much of the bundle's hash names a cache file. */
const HASH_CHARACTERS = 16;
/** Larger than any cache of the bundle (about 0.5 MB each copy): a file above it is not read. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Where the caches are: SCS_CODE_CACHE (a folder, or `off` for none), else scs's folder in the user's
 * cache ($XDG_CACHE_HOME, else ~/.cache). Undefined: no cache.
 */
export function cacheFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.SCS_CODE_CACHE;
  if (setting === 'off') return undefined;
  if (setting) return setting;
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  return base ? join(base, 'scs') : undefined;
}

/** The cache file of one command (`ps`; `scs` for help and the version) of the bundle with this hash. */
export function cacheFile(folder: string, command: string, bundleHash: string): string {
  const name = /^[a-z][a-z-]{0,31}$/.test(command) ? command : 'scs';
  return join(folder, `${name}-${bundleHash.slice(0, HASH_CHARACTERS)}${SUFFIX}`);
}

/** The cached data in `file` if it may be trusted for this bundle; undefined if not, for whatever reason. */
export function readCache(file: string, bundle: BundleIdentity): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined; // none yet, or not readable
  }
  try {
    // The file as opened is the one checked: another user cannot swap it in between.
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return undefined;
    if (process.getuid && stat.uid !== process.getuid()) return undefined; // another user's
    if ((stat.mode & 0o022) !== 0) return undefined; // others may write it
    const data = Buffer.allocUnsafe(stat.size);
    for (let read = 0; read < data.length; ) {
      const count = readSync(fd, data, read, data.length - read, read);
      if (count === 0) return undefined; // shorter than it was a moment ago
      read += count;
    }
    const newline = data.indexOf(0x0a);
    if (newline < 0 || newline > 1024) return undefined;
    const header = JSON.parse(data.toString('latin1', 0, newline)) as Partial<Header>;
    const { length } = header;
    if (header.format !== FORMAT || header.hash !== bundle.hash || header.size !== bundle.size || header.mtimeMs !== bundle.mtimeMs) {
      return undefined; // another build, or the bundle changed since
    }
    if (typeof length !== 'number' || length <= 0 || data.length !== newline + 1 + 2 * length) return undefined;
    const payload = data.subarray(newline + 1, newline + 1 + length);
    return payload.equals(data.subarray(newline + 1 + length)) ? payload : undefined;
  } catch {
    return undefined; // a header that is not JSON, a read that failed
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `payload` as the cache in `file`, readable and writable by this user only; the files of
 * other builds for the same command go. Written aside and renamed into place, so that a reader
 * never sees half of it. Nothing is written in a folder that is another user's (`sudo scs` with the
 * user's HOME): the user's own runs would only pass over root's files and write theirs again. Throws
 * what the file system throws: a cache that cannot be written is no error of the command, and the
 * caller ignores it.
 */
export function writeCache(file: string, bundle: BundleIdentity, payload: Buffer): void {
  const folder = dirname(file);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  if (process.getuid && statSync(folder).uid !== process.getuid()) return;
  const header: Header = { format: FORMAT, hash: bundle.hash, size: bundle.size, mtimeMs: bundle.mtimeMs, length: payload.length };
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'latin1'), payload, payload]), {
      mode: 0o600,
      flag: 'wx',
    });
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
  const ours = basename(file);
  const command = ours.slice(0, -(HASH_CHARACTERS + SUFFIX.length));
  for (const name of readdirSync(folder)) {
    const older = name !== ours && name.endsWith(SUFFIX) && name.slice(0, -(HASH_CHARACTERS + SUFFIX.length)) === command;
    if (older) rmSync(join(folder, name), { force: true });
  }
}
