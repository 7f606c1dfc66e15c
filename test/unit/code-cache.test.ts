// The bundle's code cache (cli/code-cache.ts): a file is used only when it is whole, this user's, and
// made for this very bundle; anything else is no cache, never an error.

import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BundleIdentity, cacheFile, cacheFolder, readCache, writeCache } from '../../cli/code-cache.ts';

const bundle: BundleIdentity = { hash: 'ab'.repeat(32), size: 1_270_000, mtimeMs: 1_765_000_000_000.5 };
const payload = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));

let folder: string;
let file: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'scs-code-cache-'));
  file = cacheFile(folder, 'ps', bundle.hash);
});

afterEach(() => rmSync(folder, { recursive: true, force: true }));

describe('where the caches are', () => {
  it('SCS_CODE_CACHE, else the user cache folder; off is none', () => {
    expect(cacheFolder({ SCS_CODE_CACHE: '/x/cache', HOME: '/home/a' })).toBe('/x/cache');
    expect(cacheFolder({ SCS_CODE_CACHE: 'off', HOME: '/home/a' })).toBeUndefined();
    expect(cacheFolder({ XDG_CACHE_HOME: '/xdg', HOME: '/home/a' })).toBe('/xdg/scs');
    expect(cacheFolder({ HOME: '/home/a' })).toBe('/home/a/.cache/scs');
    expect(cacheFolder({})).toBeUndefined();
  });

  it('one file per command and build; a word that is no command name is not a file name', () => {
    expect(cacheFile('/c', 'ps', bundle.hash)).toBe(`/c/ps-${'ab'.repeat(8)}.v8cache`);
    expect(cacheFile('/c', '../../etc/x', bundle.hash)).toBe(`/c/scs-${'ab'.repeat(8)}.v8cache`);
  });
});

describe('a cache', () => {
  it('is read back as written, by this user only', () => {
    expect(readCache(file, bundle)).toBeUndefined();
    writeCache(file, bundle, payload);
    expect(readCache(file, bundle)?.equals(payload)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('is not used for another build, nor once the bundle changed on disk', () => {
    writeCache(file, bundle, payload);
    expect(readCache(file, { ...bundle, hash: 'cd'.repeat(32) })).toBeUndefined();
    expect(readCache(file, { ...bundle, size: bundle.size + 1 })).toBeUndefined();
    expect(readCache(file, { ...bundle, mtimeMs: bundle.mtimeMs + 1 })).toBeUndefined();
  });

  it('is not used when it is cut short, when a byte of it changed, or when its header is not its own', () => {
    writeCache(file, bundle, payload);
    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, whole.length - 1), { mode: 0o600 });
    expect(readCache(file, bundle)).toBeUndefined();

    const flipped = Buffer.from(whole);
    flipped[whole.length - payload.length - 100]! ^= 0x01; // in the first copy
    writeFileSync(file, flipped);
    expect(readCache(file, bundle)).toBeUndefined();

    writeFileSync(file, Buffer.concat([Buffer.from('not json\n'), payload, payload]));
    expect(readCache(file, bundle)).toBeUndefined();
    writeFileSync(file, payload);
    expect(readCache(file, bundle)).toBeUndefined();
  });

  it('is not used when others may write it, or when it is another user’s', () => {
    writeCache(file, bundle, payload);
    chmodSync(file, 0o620);
    expect(readCache(file, bundle)).toBeUndefined();
    chmodSync(file, 0o602);
    expect(readCache(file, bundle)).toBeUndefined();
    chmodSync(file, 0o600);
    expect(readCache(file, bundle)).toBeDefined();
    if (process.getuid?.() === 0) {
      chownSync(file, 12345, 12345);
      expect(readCache(file, bundle)).toBeUndefined();
    }
  });

  it.skipIf(process.getuid?.() !== 0)('is not written in a folder that is another user’s', () => {
    chownSync(folder, 12345, 12345);
    writeCache(file, bundle, payload);
    expect(existsSync(file)).toBe(false);
  });

  it('replaces the cache of another build of the same command, not those of other commands', () => {
    const older = cacheFile(folder, 'ps', 'cd'.repeat(32));
    const other = cacheFile(folder, 'ls', 'cd'.repeat(32));
    writeCache(older, { ...bundle, hash: 'cd'.repeat(32) }, payload);
    writeCache(other, { ...bundle, hash: 'cd'.repeat(32) }, payload);
    writeCache(file, bundle, payload);
    expect(existsSync(older)).toBe(false);
    expect(readdirSync(folder).sort()).toEqual([other, file].map((path) => path.slice(folder.length + 1)).sort());
  });
});
