// npm run build (and `prepare`, so `npm ci` and `npm pack` run it): bundles the `scs` command into
// dist/ for bin/scs.js. One ESM entry, dist/scs.js, holds what every start needs; each command, and
// what only it uses, is a chunk loaded when that command runs (cli/commands.ts). Docker's client and
// the AWS SDK stay outside the bundle, loaded from node_modules by the commands that use them. The
// bundle also carries what `scs version` prints and what `scs --help` lists (see the `define`s below).

import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { formatVersion, readBuildInfo } from '../cli/build-info.ts';
import { summarizeCommands } from '../cli/commands.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist`;
const info = readBuildInfo(root);

rmSync(outdir, { recursive: true, force: true }); // no chunk of an older build may linger
await build({
  absWorkingDir: root,
  entryPoints: { scs: 'cli/main.ts' },
  outdir,
  bundle: true,
  // In one file, esbuild would hoist dockerode's import (an external) to the top, loaded by every
  // command; as chunks, it loads with the command that imports src/docker/ lazily.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // dockerode (through ssh2, optional native add-ons) and the AWS SDK (large, lazily loaded) are
  // loaded from node_modules; everything else is bundled, for start-up time. The bundled libraries
  // are dependencies all the same, so that `npm audit` and `npm ls` where scs is installed see them.
  external: ['dockerode', '@aws-sdk/*'],
  // `scs --help` lists the commands from this record instead of loading every one of them.
  define: { SCS_BUILD_INFO: JSON.stringify(info), SCS_COMMAND_SUMMARIES: JSON.stringify(await summarizeCommands()) },
  // Bundled CommonJS (dns2) calls require() for Node's modules, and an ES module has no require of its own.
  banner: {
    js: "import { createRequire as __scsCreateRequire } from 'node:module';\nconst require = __scsCreateRequire(import.meta.url);",
  },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
console.log(`built dist/ for ${formatVersion(info)}`);
