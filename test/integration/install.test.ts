// The package as a user gets it: `npm pack` (which builds the bundle), then a global install of the
// tarball into a scratch prefix, then its `scs` run from there: no sources, no tsx, no checkout.

import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoClient } from '../../src/client/client.ts';
import { SCS as SCS_FROM_SOURCES } from '../helpers/cli.ts';
import { dig } from '../helpers/dns.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually } from '../helpers/wait.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };

let scratch: string;
let prefix: string;
let scs: string;
let installed: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'scs-install-'));
  prefix = join(scratch, 'prefix');
  const { stdout } = await run('npm', ['pack', '--pack-destination', scratch], { cwd: root });
  const tarball = join(scratch, stdout.trim().split('\n').pop()!);
  // --prefer-offline: the dependencies are in npm's cache since `npm ci`; the test is about the package, not the network.
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: scratch });
  scs = join(prefix, 'bin', 'scs');
  installed = join(prefix, 'lib', 'node_modules', name);
}, 180_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Runs a command to its end; a non-zero exit is returned, not thrown. */
async function runToEnd(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: options.cwd ?? scratch, env: options.env ?? process.env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('the installed package', () => {
  it('is the bundle: no TypeScript sources, no tsx, and its dependencies installed for npm audit, though it imports only dockerode and the AWS SDK', () => {
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'bin', 'dist', 'docs', 'node_modules', 'package.json', 'schemas']);
    expect(readdirSync(join(installed, 'bin')).sort()).toEqual(['package.json', 'scs.js']);
    expect(readdirSync(join(installed, 'dist')).sort()).toEqual(['help.cjs', 'look.cjs', 'scs.cjs', 'start.cjs']);
    expect(existsSync(join(installed, 'node_modules', 'tsx'))).toBe(false);
    // Installed so that the user's `npm audit` and `npm ls` see them, but read from the bundle, which imports only dockerode and the AWS SDK
    // (dockerode through src/docker/dockerode.ts's requireFromNodeModules).
    const bundle = readdirSync(join(installed, 'dist'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.cjs'));
    const imported = new Set(
      bundle.flatMap((file) =>
        [
          ...readFileSync(join(installed, 'dist', file), 'utf8').matchAll(
            /^import [^;]*?from ?"([^"]+)"|import\("([^"]+)"\)|(?:require|requireFromNodeModules\d*)\(["']([^"']+)["']\)/gm,
          ),
        ].map((m) => (m[1] ?? m[2] ?? m[3])!),
      ),
    );
    const packages = [...imported].filter(
      (module) => !module.startsWith('.') && !module.startsWith('node:') && !builtinModules.includes(module),
    );
    expect(packages.sort()).toEqual(['@aws-sdk/client-ec2', 'dockerode']);
    for (const dependency of ['dockerode', 'cac', 'consola', 'valibot', 'js-yaml', 'dns2', '@balena/dockerignore']) {
      expect(existsSync(join(installed, 'node_modules', dependency)), dependency).toBe(true);
    }
  });

  it('scs --help lists the commands, the same as the sources do', async () => {
    const fromInstall = await runToEnd(scs, ['--help']);
    const fromSources = await runToEnd(process.execPath, [SCS_FROM_SOURCES, '--help']);
    expect(fromInstall.code).toBe(0);
    expect(fromInstall.stdout).toMatch(/^\s+ls \[name\]\s+List registered endpoints/m);
    expect(fromInstall.stdout).toMatch(/^\s+version\s+Print the version/m);
    expect(fromInstall.stdout).toBe(fromSources.stdout);
  });

  it('scs --version and scs version say the version and the commit the tarball was packed from', async () => {
    const { stdout: head } = await run('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD']);
    const expected = new RegExp(`^scs ${version.replaceAll('.', '\\.')} \\(commit ${head.trim()}(-dirty)?\\)\\n$`);
    const flag = await runToEnd(scs, ['--version']);
    const command = await runToEnd(scs, ['version']);
    expect(flag).toMatchObject({ code: 0, stdout: expect.stringMatching(expected) });
    expect(command.stdout).toBe(flag.stdout);
    // The scratch folder is no checkout: the commit comes from the build, not from where scs runs.
    expect((await runToEnd(scs, ['-v'], { cwd: tmpdir() })).stdout).toBe(flag.stdout);
  });

  it('an unknown command is one sentence and exit status 2, a usage error', async () => {
    const result = await runToEnd(scs, ['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"; see scs --help');
  });

  describe('scs disco', () => {
    let disco: ChildProcessWithoutNullStreams;
    let output = '';
    let client: DiscoClient | undefined;

    afterAll(async () => {
      await client?.close();
      disco?.kill('SIGKILL');
    });

    it('serves a client on loopback, over the protocol and over DNS; scs ls lists what it registered', async () => {
      disco = spawn(scs, ['disco', '--listen', '127.0.0.1:0', '--dns', '127.0.0.1:0']);
      disco.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
      disco.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
      const port = Number(await eventually(() => /listening on tcp 127\.0\.0\.1:(\d+)/.exec(output)?.[1], 15_000, 'disco to listen'));
      const dnsPort = Number(await eventually(() => /dns on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(output)?.[1], 15_000, 'DNS to listen'));

      client = await DiscoClient.connect({ host: '127.0.0.1', port, name: 'install-test', logger: quietLogger });
      await client.provide({ name: 'mysql.db.blog.prod', host: '10.0.0.5', port: 3306, attrs: { az: 'us-east-1a' } });

      const listed = await runToEnd(scs, ['ls', '--disco', `127.0.0.1:${port}`, '--json']);
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toMatchObject([
        { name: 'mysql.db.blog.prod', host: '10.0.0.5', port: 3306, attrs: { az: 'us-east-1a' } },
      ]);
      const srv = await dig(dnsPort, '_mysql._tcp.db.blog.prod.disco', 'SRV');
      expect(srv.answer.join('\n')).toMatch(/SRV \d+ \d+ 3306 /);
    });
  });

  describe('loads only what a command needs', () => {
    /** Runs the installed scs with a hook that records every file it requires (the bundle is CommonJS). */
    async function resolvedBy(args: string[], cwd: string) {
      const log = join(scratch, `resolved-${args[0]}.txt`);
      const hook = join(scratch, 'record.cjs');
      writeFileSync(
        hook,
        `const { appendFileSync } = require('node:fs');
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolve.apply(this, args);
  appendFileSync(process.env.SCS_TEST_RESOLVED_LOG, file + '\\n');
  return file;
};
`,
      );
      writeFileSync(log, '');
      const result = await runToEnd(process.execPath, ['--require', hook, scs, ...args], {
        cwd,
        env: { ...process.env, SCS_TEST_RESOLVED_LOG: log },
      });
      return { ...result, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
    }

    it('scs ls and scs ps load neither dockerode nor the AWS SDK; scs up --dry-run loads dockerode', async () => {
      const ls = await resolvedBy(['ls', '--disco', '127.0.0.1:1'], scratch); // refused: the answer does not matter here
      expect(ls.stderr).toContain('cannot reach disco at 127.0.0.1:1');
      expect(ls.urls.some((url) => url.endsWith('/dist/start.cjs'))).toBe(true);
      expect(ls.urls.filter((url) => /\/node_modules\/(dockerode|docker-modem|@aws-sdk)\//.test(url))).toEqual([]);

      // ps only reads Docker: through the Engine API on its socket, not dockerode (it may or may not answer).
      const stack = join(scratch, 'hello');
      cpSync(join(root, 'examples', 'hello'), stack, { recursive: true, filter: (source) => !source.includes('.scs') });
      const ps = await resolvedBy(['ps'], stack);
      expect(ps.urls.some((url) => url.endsWith('/dist/start.cjs'))).toBe(true);
      expect(ps.urls.filter((url) => /\/node_modules\/(dockerode|docker-modem|@aws-sdk)\//.test(url))).toEqual([]);

      // The control: the hook does see dockerode when a command needs it (the plan asks Docker; it may or may not answer).
      const plan = await resolvedBy(['up', '--dry-run'], stack);
      expect(
        plan.urls.some((url) => /\/node_modules\/dockerode\//.test(url)),
        plan.stderr,
      ).toBe(true);
    });
  });
});

describe('bin/scs.js where no bundle was built', () => {
  it('says how to build it, in one sentence, and exits 1', async () => {
    const checkout = mkdtempSync(join(tmpdir(), 'scs-unbuilt-'));
    try {
      mkdirSync(join(checkout, 'bin'));
      for (const file of ['scs.js', 'package.json']) cpSync(join(root, 'bin', file), join(checkout, 'bin', file));
      const result = await runToEnd(process.execPath, [join(checkout, 'bin', 'scs.js'), '--help'], { cwd: checkout });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('scs is not built: run `npm run build` in its checkout (or `npm run scs -- ARGS` to run the sources)\n');
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
  });
});
