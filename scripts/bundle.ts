// npm run build (and `prepare`, so `npm ci` and `npm pack` run it): bundles the `scs` command into
// dist/ for bin/scs.js. dist/scs.cjs is the whole command, one CommonJS file: a classic script, which
// V8 can compile with a code cache (cli/start.ts; Node 20 has none for ES modules). Each command, and
// what only it uses, runs only when that command does (cli/commands.ts): esbuild wraps what is
// imported lazily in a function run at first import, so the rest is only skimmed by the parser, or
// not even that when the cache has the command. dist/help.cjs is the same entry without the commands
// but `version`, for a command line that names none (`scs --help`, `scs --version`): an eighth of
// the size, it spares them reading and compiling the whole. dist/look.cjs is the same entry with
// only `scs ps`, `scs logs` and `scs ls` (LOOK_COMMANDS), for the same reason. dist/start.cjs is
// what bin/scs.js loads first: it picks one of the three, and compiles and runs it. Docker's client and the AWS SDK stay
// outside the bundle, required from node_modules by the commands that use them (in CommonJS, a
// require stays in the wrapped module that makes it, and runs with it). The bundle also carries what
// `scs version` prints, what `scs --help` lists and the web view's files (see the `define`s below).

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';
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
 * consola takes Node's process object as `import process from 'node:process'`. As an ES module,
 * Node built that module's namespace by reading every property of process (allowedNodeEnvironmentFlags
 * parses the option table: some 5 ms); in CommonJS, esbuild's __toESM copies a getter for each onto
 * an object of its own. The global is the same object, for nothing.
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
 * esbuild escapes what is not ASCII in strings and names, but keeps comments as written (a few have
 * an arrow or an ellipsis): escaped too, the bundle is ASCII, which cli/start.ts reads byte for
 * character, into a string of one byte a character that V8 scans faster. Only comments are touched.
 */
function ascii(text: string): string {
  return text.replace(/[^\t\n\r -~]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * For dist/help.cjs and dist/look.cjs: each command's module that is not `kept`, as cli/commands.ts
 * imports it, is a module that fails. cli/start.ts runs these bundles only for the command lines
 * they hold (it reads the command as cli/arguments.ts does), so the failure says where to look if
 * one ever imported another.
 */
const LEFT_OUT = 'scs-command-left-out';
const commandsLeftOut = (kept: readonly string[] = ['./version.ts']): Plugin => ({
  name: LEFT_OUT,
  setup(build) {
    build.onResolve({ filter: /^\.\/[\w-]+\.ts$/ }, ({ path, importer, kind }) =>
      kind === 'dynamic-import' && /[\\/]cli[\\/]commands\.ts$/.test(importer) && !kept.includes(path)
        ? { path, namespace: LEFT_OUT }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: LEFT_OUT }, ({ path }) => ({
      contents: `throw new Error(${JSON.stringify(`cli/${path.slice(2)} is not in this bundle (dist/help.cjs or dist/look.cjs), which cli/start.ts runs only for the commands it holds`)});`,
      loader: 'js',
    }));
  },
});

const COMMON = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  write: false,
} as const satisfies BuildOptions;

/** The files bin/scs.js runs, in dist/; cli/start.ts picks one for each command line. */
export const BUNDLES = { all: 'scs.cjs', look: 'look.cjs', help: 'help.cjs' } as const;

/**
 * The commands dist/look.cjs holds: those people type most, which only look (at the stack and
 * Docker, or at disco). Without the agent, the disco server, DNS and the deploy commands, it is some
 * 40% of dist/scs.cjs, and so is the code cache of each (cli/start.ts): V8 reads both at every start.
 */
export const LOOK_COMMANDS = ['ps', 'logs', 'ls'] as const;

/** Builds one bundle of cli/main.ts into `file`, and returns its hash (SHA-256). */
async function bundleMain(file: string, plugins: Plugin[], define: Record<string, string>): Promise<string> {
  const { outputFiles } = await build({
    ...COMMON,
    entryPoints: [join(root, 'cli/main.ts')],
    outfile: file,
    // dockerode (through ssh2, optional native add-ons) and the AWS SDK (large, lazily loaded) are
    // required from node_modules; everything else is bundled, for start-up time. The bundled libraries
    // are dependencies all the same, so that `npm audit` and `npm ls` where scs is installed see them.
    external: ['dockerode', '@aws-sdk/*'],
    plugins: [lazySegmenter, globalProcess, ...plugins],
    // Strict, as the ES modules it is made of; and import.meta.url, which CommonJS has not, from the file's name.
    banner: { js: `'use strict';\nvar __scsImportMetaUrl = require('node:url').pathToFileURL(__filename).href;` },
    define: { 'import.meta.url': '__scsImportMetaUrl', ...define },
  });
  const text = ascii(outputFiles[0]!.text);
  // A dynamic import() would need a loader the code cache's vm.Script has not: externals are require()d.
  if (/\bimport\(/.test(text)) throw new Error(`${file} has an import(): scripts/bundle.ts expects CommonJS throughout`);
  writeFileSync(file, text);
  return createHash('sha256').update(text).digest('hex');
}

/** Builds the bundle into `outdir` (dist/, or a scratch folder for a test), replacing what was there. */
export async function bundle(outdir = `${root}dist`): Promise<string> {
  const info = readBuildInfo(root);
  rmSync(outdir, { recursive: true, force: true }); // nothing of an older build may linger
  mkdirSync(outdir, { recursive: true });
  const define = {
    SCS_BUILD_INFO: JSON.stringify(info),
    // `scs --help` lists the commands from this record instead of loading every one of them.
    SCS_COMMAND_SUMMARIES: JSON.stringify(await summarizeCommands()),
    // The web view's page, script and style travel inside the bundle, so that nothing is read from disk to serve them.
    SCS_WEB_ASSETS: JSON.stringify(readAssetTexts()),
  };
  const hashes = {
    all: await bundleMain(join(outdir, BUNDLES.all), [], define),
    // The web view's files are the web view's: `scs ps`, `logs` and `ls` serve none.
    look: await bundleMain(
      join(outdir, BUNDLES.look),
      [commandsLeftOut(['./version.ts', ...LOOK_COMMANDS.map((name) => `./${name}.ts`)])],
      {
        ...define,
        SCS_WEB_ASSETS: 'undefined',
      },
    ),
    // What only commands use stays out: the web view's files.
    help: await bundleMain(join(outdir, BUNDLES.help), [commandsLeftOut()], { ...define, SCS_WEB_ASSETS: 'undefined' }),
  };
  // The launcher knows the bundles it was built with, by hash: a code cache made for another is not used.
  const { outputFiles } = await build({
    ...COMMON,
    entryPoints: [join(root, 'cli/start.ts')],
    outfile: join(outdir, 'start.cjs'),
    define: {
      SCS_BUNDLES: JSON.stringify({
        all: { file: BUNDLES.all, hash: hashes.all },
        look: { file: BUNDLES.look, hash: hashes.look, commands: LOOK_COMMANDS },
        help: { file: BUNDLES.help, hash: hashes.help },
      }),
    },
  });
  writeFileSync(outputFiles[0]!.path, outputFiles[0]!.text);
  return formatVersion(info);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`built dist/ for ${await bundle()}`);
}
