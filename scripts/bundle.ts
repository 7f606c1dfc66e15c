// npm run build (and `prepare`, so `npm ci` and `npm pack` run it): bundles the `scs` command into
// dist/ for bin/scs.js. One ESM entry, dist/scs.js, holds what every start needs; each command, and
// what only it uses, is a chunk loaded when that command runs (cli/commands.ts). Docker's client and
// the AWS SDK stay outside the bundle, loaded from node_modules by the commands that use them. The
// bundle also carries what `scs version` prints, what `scs --help` lists and the web view's files
// (see the `define`s below).

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
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

/**
 * consola takes Node's process object as `import process from 'node:process'`. Node builds that
 * module's namespace by reading every property of process, allowedNodeEnvironmentFlags among them
 * (it parses the option table): some 5 ms at every start that logs. The global is the same object.
 */
const PROCESS_SHIM = 'scs-global-process';
const globalProcess: Plugin = {
  name: 'consola-global-process',
  setup(build) {
    build.onResolve({ filter: /^node:process$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]consola[\\/]dist[\\/]index\.mjs$/.test(importer) ? { path: PROCESS_SHIM, namespace: PROCESS_SHIM } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: PROCESS_SHIM }, () => ({ contents: 'export default globalThis.process;', loader: 'js' }));
  },
};

/**
 * Bundled CommonJS (dns2) calls require() for Node's modules, and an ES module has no require of its
 * own: esbuild's `__require` reads one from the scope of the chunk that defines it. Only that chunk
 * gets it, so that the other chunks (some 25 for `scs ps`) do not each make a require function.
 */
const REQUIRE_PRELUDE =
  "import { createRequire as __scsCreateRequire } from 'node:module';\nconst require = __scsCreateRequire(import.meta.url);\n";
const USES_REQUIRE = /\btypeof require\b|(?<![\w$.])require\s*[.(]/;

/** Builds the bundle into `outdir` (dist/, or a scratch folder for a test), replacing what was there. */
export async function bundle(outdir = `${root}dist`): Promise<string> {
  const info = readBuildInfo(root);
  rmSync(outdir, { recursive: true, force: true }); // no chunk of an older build may linger
  const { outputFiles } = await build({
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
    plugins: [lazySegmenter, globalProcess],
    // `scs --help` lists the commands from this record instead of loading every one of them.
    // The web view's page, script and style travel inside the bundle, so that nothing is read from disk to serve them.
    define: {
      SCS_BUILD_INFO: JSON.stringify(info),
      SCS_COMMAND_SUMMARIES: JSON.stringify(await summarizeCommands()),
      SCS_WEB_ASSETS: JSON.stringify(readAssetTexts()),
    },
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
    write: false,
  });
  for (const { path, text } of outputFiles) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, USES_REQUIRE.test(text) ? REQUIRE_PRELUDE + text : text);
  }
  return formatVersion(info);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`built dist/ for ${await bundle()}`);
}
