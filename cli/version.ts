import { fileURLToPath } from 'node:url';
import type { CAC } from 'cac';
import { type BuildInfo, formatVersion, readBuildInfo } from './build-info.ts';

/** Set by scripts/bundle.ts (esbuild `define`) in the bundle; not defined when the sources run. */
declare const SCS_BUILD_INFO: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  return typeof SCS_BUILD_INFO === 'undefined' ? readBuildInfo(fileURLToPath(new URL('..', import.meta.url))) : SCS_BUILD_INFO;
}

export function registerVersion(cli: CAC): void {
  cli.command('version', 'Print the version, and the git commit scs was built from').action(printVersion);
}

export function printVersion(): void {
  process.stdout.write(`${formatVersion(buildInfo())}\n`);
}
