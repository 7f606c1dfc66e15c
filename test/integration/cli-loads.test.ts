// What the installed `scs` runs for the commands people type most: the bundle is built into a
// scratch folder, each command runs under test/helpers/load-trace.mjs, and the sources of the bundle
// it ran (the modules run at its start, and those it ran later, which esbuild wraps in a function
// named by the module's path) are held to what the command needs. Start-up time is measured by
// bench:cli; this holds what it depends on: `scs ps` and `scs logs` read Docker without dockerode and
// hash no image, nothing looked at loads the AWS SDK or DNS, help runs no library but cac, no command
// that logs nothing builds consola's Intl.Segmenter, and `scs ps` requires no node:process.

import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandWord } from '../../cli/command-word.ts';
import { BUNDLES, bundle, LOOK_COMMANDS } from '../../scripts/bundle.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { dockerProblem } from '../helpers/docker.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tracer = fileURLToPath(new URL('../helpers/load-trace.mjs', import.meta.url));
const STACK = `loads${process.pid}`;

/** What nothing that only looks may load: Docker's full client, the AWS SDK, the DNS server, disco's server. */
const HEAVY = ['node_modules/dockerode/', 'node_modules/@aws-sdk/', 'node_modules/dns2/', 'src/dns/', 'src/server/'];

interface Loaded {
  readonly status: number | string | null;
  readonly output: string;
  /** The sources of the bundle it ran, and the files it loaded from node_modules. */
  readonly sources: string[];
  /** Node's own modules it required (node:http, ...). */
  readonly builtins: string[];
  readonly segmenters: number;
}

let scratch: string;
let stackDir: string;
let disco: DiscoServer;
/** The modules each bundle runs at every start (those it does not wrap), by its file in dist/. */
const runAtStart = new Map<string, string[]>();
/** Every module in each bundle, by its file in dist/. */
const bundled = new Map<string, string[]>();

/** A path of esbuild's (relative to the checkout, or through a linked node_modules) as the checkout has it. */
const fromCheckout = (path: string) => (path.includes('node_modules/') ? path.slice(path.indexOf('node_modules/')) : path);

beforeAll(async () => {
  // Inside node_modules, so that the bundle finds its externals (dockerode, the AWS SDK) as it would installed.
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  scratch = mkdtempSync(join(root, 'node_modules/.cache/scs-loads-'));
  await bundle(join(scratch, 'dist'));
  // The installed layout: bin/scs.js (CommonJS, as bin/package.json says) starts dist/start.cjs.
  mkdirSync(join(scratch, 'bin'));
  for (const file of ['scs.js', 'package.json']) cpSync(join(root, 'bin', file), join(scratch, 'bin', file));
  for (const file of Object.values(BUNDLES)) {
    const text = readFileSync(join(scratch, 'dist', file), 'utf8');
    const wrapped = new Set([...text.matchAll(/^ {2}"([^"]+)"\((?:[\w$]+(?:, [\w$]+)?)?\) \{$/gm)].map((match) => match[1]!));
    const all = [...text.matchAll(/^\/\/ (\S+\/\S+)$/gm)].map((match) => match[1]!);
    runAtStart.set(file, all.filter((path) => !wrapped.has(path)).map(fromCheckout));
    bundled.set(file, all.map(fromCheckout));
  }
  stackDir = join(scratch, 'stack');
  cpSync(join(root, 'examples/hello'), stackDir, { recursive: true, filter: (source) => !source.includes('/.scs') });
  const file = join(stackDir, 'scs-stack.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^name: hello$/m, `name: ${STACK}`));
  disco = await startDisco();
}, 120_000);

afterAll(async () => {
  await disco?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const run = promisify(execFile);

/** Runs the bundle's `scs` with these arguments (not blocking: disco answers from this process), and reads what it loaded. */
async function load(args: string[], cwd = scratch): Promise<Loaded> {
  const trace = join(scratch, `trace-${args.join('-').replace(/[^\w-]/g, '')}.txt`);
  rmSync(trace, { force: true });
  // No code cache: what runs does not depend on one, and the tests leave none behind.
  const env = { ...process.env, SCS_LOAD_TRACE: trace, SCS_FILE: '', NO_COLOR: '1', SCS_CODE_CACHE: 'off' };
  const options = { cwd, timeout: 60_000, env };
  const result = await run(process.execPath, ['--import', tracer, join(scratch, 'bin/scs.js'), ...args], options).then(
    ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      status: error.code ?? null,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
  const lines = readFileSync(trace, 'utf8').trim().split('\n');
  // cli/start.ts runs dist/help.cjs for a command line that names no command, dist/look.cjs for ps, logs and ls, dist/scs.cjs otherwise.
  const command = commandWord(args);
  const file = command === undefined ? BUNDLES.help : (LOOK_COMMANDS as readonly string[]).includes(command) ? BUNDLES.look : BUNDLES.all;
  const sources = new Set(runAtStart.get(file));
  for (const line of lines) {
    const [kind, where] = line.split(' ', 2) as [string, string | undefined];
    if (!where) continue;
    if (kind === 'bundled') sources.add(fromCheckout(where));
    // The installed scs's own files (bin/scs.js, dist/) are in the scratch folder: not what it loads.
    else if (kind === 'cjs' && where.startsWith(root) && !where.startsWith(scratch)) sources.add(where.slice(root.length));
  }
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    sources: [...sources].sort(),
    builtins: lines.filter((line) => line.startsWith('builtin ')).map((line) => line.slice('builtin '.length)),
    segmenters: lines.filter((line) => line === 'segmenter').length,
  };
}

const heavyIn = (sources: readonly string[]) => sources.filter((source) => HEAVY.some((heavy) => source.startsWith(heavy)));

describe('what the bundled scs loads for each command', () => {
  it('finds what the bundle runs at its start, and what it runs later', () => {
    // Were the layout of esbuild's output to change, the tests below would see nothing and pass.
    for (const file of Object.values(BUNDLES)) {
      expect(runAtStart.get(file)).toContain('cli/main.ts');
      expect(runAtStart.get(file)).not.toContain('cli/version.ts');
    }
    expect(runAtStart.get(BUNDLES.all)).not.toContain('src/docker/reader.ts');
    // The bundle for a command line without a command holds none but `version`.
    expect(bundled.get(BUNDLES.help)).toContain('cli/version.ts');
    expect(bundled.get(BUNDLES.help)!.filter((path) => /^cli\/(ps|ls|up|disco)\.ts$|^src\/(docker|manifest|server)\//.test(path))).toEqual(
      [],
    );
    expect(bundled.get(BUNDLES.all)).toEqual(expect.arrayContaining(['cli/ps.ts', 'cli/up.ts', 'src/docker/reader.ts']));
    // The bundle of the commands that only look holds them, and neither the deploy commands, the agent's loop nor disco's server.
    expect(bundled.get(BUNDLES.look)).toEqual(expect.arrayContaining(['cli/ps.ts', 'cli/logs.ts', 'cli/ls.ts', 'src/docker/reader.ts']));
    expect(bundled.get(BUNDLES.look)!.filter((path) => /^cli\/(up|disco|agent)\.ts$|^src\/(server|dns)\//.test(path))).toEqual([]);
  });

  it('scs --help loads no library and no command: the list is in the bundle', async () => {
    const help = await load(['--help']);
    expect(help.status, help.output).toBe(0);
    expect(help.output).toMatch(/^\s+ps\s/m);
    expect(help.sources).toContain('cli/main.ts');
    expect(help.sources.filter((source) => source.startsWith('node_modules/') && !source.startsWith('node_modules/cac/'))).toEqual([]);
    expect(help.sources.filter((source) => source.startsWith('src/') && !['src/colour.ts', 'src/errors.ts'].includes(source))).toEqual([]);
    expect(help.segmenters).toBe(0);
  });

  it('scs ls loads disco’s client, and neither YAML, Docker, the AWS SDK nor a segmenter', async () => {
    const ls = await load(['ls', '--disco', `127.0.0.1:${disco.address().port}`]);
    expect(ls.status, ls.output).toBe(0);
    expect(ls.sources).toContain('src/client/client.ts');
    expect(heavyIn(ls.sources)).toEqual([]);
    expect(ls.sources.filter((source) => /js-yaml|src\/docker\/|src\/manifest\//.test(source))).toEqual([]);
    expect(ls.segmenters).toBe(0);
  });

  describe.skipIf(dockerProblem !== undefined)(`on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
    it('scs ps in a stack folder reads Docker through the light reader: no dockerode, AWS SDK, DNS or segmenter', async () => {
      const ps = await load(['ps'], stackDir);
      expect(ps.status, ps.output).toBe(0);
      expect(ps.output).toMatch(new RegExp(`scs-${STACK}-dev-web\\s+-\\s+not created`));
      expect(ps.sources).toContain('src/docker/reader.ts');
      expect(heavyIn(ps.sources)).toEqual([]);
      // Images are not hashed to be looked at: no build context is read, and node:crypto stays unloaded.
      expect(ps.builtins).not.toContain('node:crypto');
      expect(ps.segmenters).toBe(0);
      // consola's `import process from 'node:process'` is the global: esbuild would copy every property of process onto a namespace.
      expect(ps.builtins).not.toContain('node:process');
    });

    it('scs images loads dockerode without its BuildKit session (gRPC) or SSH transport (ssh2), which scs never calls', async () => {
      const images = await load(['images'], stackDir);
      expect(images.status, images.output).toBe(0);
      expect(images.sources.filter((source) => source.startsWith('node_modules/dockerode/'))).not.toEqual([]);
      expect(images.sources.filter((source) => /^node_modules\/(@grpc|protobufjs|ssh2)\//.test(source))).toEqual([]);
    });

    it('scs logs in a stack folder does the same, to the sentence that there is no container yet', async () => {
      const logs = await load(['logs', '--tail', '1'], stackDir);
      expect(logs.output).toContain(`${STACK} has no container; scs up first`);
      expect(logs.sources).toContain('src/docker/reader.ts');
      expect(heavyIn(logs.sources)).toEqual([]);
      expect(logs.builtins).not.toContain('node:crypto');
      expect(logs.segmenters).toBe(0);
    });
  });
});
