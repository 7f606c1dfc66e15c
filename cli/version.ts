import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CAC } from 'cac';
import { type BuildInfo, formatVersion, readBuildInfo } from './build-info.ts';

/** Set by scripts/bundle.ts (esbuild `define`) in the bundle; not defined when the sources run. */
declare const SCS_BUILD_INFO: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  return typeof SCS_BUILD_INFO === 'undefined' ? readBuildInfo(fileURLToPath(new URL('..', import.meta.url))) : SCS_BUILD_INFO;
}

/** The version alone, without asking git for the commit: what an agent tells disco it runs. */
export function scsVersion(): string {
  if (typeof SCS_BUILD_INFO !== 'undefined') return SCS_BUILD_INFO.version;
  const file = fileURLToPath(new URL('../package.json', import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version?.toString() ?? 'unknown';
}

export function registerVersion(cli: CAC): void {
  cli.command('version', 'Print the version, and the git commit scs was built from').action(printVersion);
}

export function printVersion(): void {
  process.stdout.write(`${formatVersion(buildInfo())}\n`);
}
