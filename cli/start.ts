// What bin/scs.js runs (scripts/bundle.ts builds it into dist/start.cjs): the bundle, dist/scs.cjs
// (or for a command line that names no command, such as `scs --help`, its small sibling
// dist/help.cjs; for `scs ps`, `logs` and `ls`, dist/look.cjs, which holds only those), compiled
// with V8's code cache of the command named (cli/code-cache.ts), as Node compiles a CommonJS module
// otherwise. Where there is no cache yet, or the one there is not trusted, the
// command runs all the same, and a run that ends well leaves a cache for the next: V8 serializes
// then what the run compiled. This module stays small and imports no library: it runs at every start.

import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { EXIT } from '../src/errors.ts';
import { type BundleIdentity, cacheFile, cacheFolder, readCache, writeCache } from './code-cache.ts';
import { commandWord } from './command-word.ts';

/** The exit codes of a run that did its work: `scs agent` ends drained once `scs down` has taken its stack down. */
const ENDED_WELL: ReadonlySet<number> = new Set([EXIT.ok, EXIT.drained]);

interface Bundle {
  /** Its name in dist/. */
  readonly file: string;
  /** Its SHA-256 as scripts/bundle.ts built it. */
  readonly hash: string;
}

/**
 * Set by scripts/bundle.ts: the whole command, the one for the commands that only look (those it
 * names), and the one for a command line that names no command.
 */
declare const SCS_BUNDLES: {
  readonly all: Bundle;
  readonly look: Bundle & { readonly commands: readonly string[] };
  readonly help: Bundle;
};

function bundleFor(command: string | undefined): Bundle {
  if (command === undefined) return SCS_BUNDLES.help;
  return SCS_BUNDLES.look.commands.includes(command) ? SCS_BUNDLES.look : SCS_BUNDLES.all;
}

/** CommonJS's wrapper (Node's Module.wrap), so that the bundle sees what a module does. */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) { ';
const WRAPPER_END = '\n});';

type ModuleFunction = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

/** Runs the bundle in `dist` (an absolute path) for this process's command line. */
export function start(dist: string, args: readonly string[] = process.argv.slice(2)): void {
  const command = commandWord(args);
  const { file: name, hash } = bundleFor(command);
  const bundle = join(dist, name);
  const fd = openSync(bundle, 'r');
  let source: string;
  let identity: BundleIdentity;
  try {
    const { size, mtimeMs } = fstatSync(fd);
    identity = { hash, size, mtimeMs };
    // The bundle is ASCII (scripts/bundle.ts sees to it): read byte for character, a one-byte string.
    source = readFileSync(fd, 'latin1');
  } finally {
    closeSync(fd);
  }
  const folder = cacheFolder();
  const file = folder === undefined ? undefined : cacheFile(folder, command ?? 'scs', hash);
  const cachedData = file === undefined ? undefined : readCache(file, identity);
  const script = new Script(WRAPPER_START + source + WRAPPER_END, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  if (file !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', (code) => {
      // A run that failed may have stopped short of what the command compiles when it works.
      if (!ENDED_WELL.has(code)) return;
      try {
        writeCache(file, identity, script.createCachedData());
      } catch {
        // A cache folder that cannot be written (read-only, full) only means no cache: the command did its work.
      }
    });
  }
  const module = { exports: {} };
  (script.runInThisContext() as ModuleFunction)(module.exports, createRequire(bundle), module, bundle, dist);
}
