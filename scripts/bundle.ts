// npm run build (and `prepare`, so `npm ci` and `npm pack` run it): bundles the `scs` command into
// dist/ for bin/scs.js. One ESM entry, dist/scs.js, holds what every start needs; each command, and
// what only it uses, is a chunk loaded when that command runs (cli/commands.ts). Docker's client and
// the AWS SDK stay outside the bundle, loaded from node_modules by the commands that use them. The
// bundle also carries what `scs version` prints, what `scs --help` lists and the web view's files
// (see the `define`s below).

import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { formatVersion, readBuildInfo } from '../cli/build-info.ts';
import { summarizeCommands } from '../cli/commands.ts';
import { readAssetTexts } from '../src/web/assets.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * consola builds an Intl.Segmenter when it loads, to measure a line for its fancy (terminal)
 * reporter: some 20 ms of ICU set-up at every start, though `scs ps`, `ls` and `logs` print their
 * output themselves and log nothing. The bundle builds it at first use instead. A consola whose text
 * differs fails the build, so that an upgrade is looked at.
 */
const EAGER_SEGMENTER = "const segmenter = globalThis.Intl?.Segmenter ? new Intl.Segmenter() : { segment: (str) => str.split('') };";
const LAZY_SEGMENTER = [
  'let builtSegmenter;',
  "const segmenter = { segment: (str) => (builtSegmenter ??= globalThis.Intl?.Segmenter ? new Intl.Segmenter() : { segment: (s) => s.split('') }).segment(str) };",
].join(' ');

const lazySegmenter: Plugin = {
  name: 'consola-lazy-segmenter',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]consola[\\/]dist[\\/]index\.mjs$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      if (!source.includes(EAGER_SEGMENTER)) throw new Error(`${path} no longer builds its Intl.Segmenter as scripts/bundle.ts expects`);
      return { contents: source.replace(EAGER_SEGMENTER, LAZY_SEGMENTER), loader: 'js' };
    });
  },
};

/** Builds the bundle into `outdir` (dist/, or a scratch folder for a test), replacing what was there. */
export async function bundle(outdir = `${root}dist`): Promise<string> {
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
    plugins: [lazySegmenter],
    // `scs --help` lists the commands from this record instead of loading every one of them.
    // The web view's page, script and style travel inside the bundle, so that nothing is read from disk to serve them.
    define: {
      SCS_BUILD_INFO: JSON.stringify(info),
      SCS_COMMAND_SUMMARIES: JSON.stringify(await summarizeCommands()),
      SCS_WEB_ASSETS: JSON.stringify(readAssetTexts()),
    },
    // Bundled CommonJS (dns2) calls require() for Node's modules, and an ES module has no require of its own.
    banner: {
      js: "import { createRequire as __scsCreateRequire } from 'node:module';\nconst require = __scsCreateRequire(import.meta.url);",
    },
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  });
  return formatVersion(info);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`built dist/ for ${await bundle()}`);
}
