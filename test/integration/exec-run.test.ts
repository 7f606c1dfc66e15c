// `scs exec` and `scs run` on the real Docker Engine, against the hello stack brought up with
// `scs up -d`: the command's output, exit code and stdin come through; `--instance` picks a
// replica; a one-off gets what the service requires from disco, is not taken for the service, and
// is removed when it ends (or kept with --no-rm, until scs down).

import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/labels.ts';
import { collect, type Running, SCS, scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ENVIRONMENT = `exec${process.pid}`;

describe.skipIf(dockerProblem !== undefined)(
  `scs exec and scs run on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let dir: string;
    const started: Running[] = [];
    const env = () => ({ SCS_FILE: `${join(dir, 'scs-stack.yaml')}:${join(dir, 'test.yaml')}` });
    const run = (args: string[]) => {
      const command = scs(args, env(), dir);
      started.push(command);
      return command;
    };
    /** Runs scs to its end; its exit code and output. */
    const done = async (args: string[], stdin?: string) => {
      const command = run(args);
      if (stdin !== undefined) command.child.stdin.end(stdin);
      const code = await command.exited;
      return { code, stdout: command.stdout, stderr: command.stderr };
    };
    const mine = { [LABEL.stack]: 'hello', [LABEL.environment]: ENVIRONMENT };
    const containerOf = async (name: string) => (await engine.list(mine)).find((c) => c.name === name);
    const oneOffs = async () => (await engine.list(mine)).filter((c) => c.labels[LABEL.oneOff] !== undefined);

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'scs-exec-'));
      cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
      writeFileSync(join(dir, 'test.yaml'), `environment: ${ENVIRONMENT}\nservices:\n  web:\n    replicas: 2\n`);
      const up = await done(['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
    }, 240_000);

    afterAll(async () => {
      for (const command of started) command.child.kill('SIGKILL');
      if (!dir) return;
      await scs(['down', '--volumes'], env(), dir).exited;
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it("exec runs the command in the service's container, and --instance picks a replica", async () => {
      for (const [args, name] of [
        [['exec', 'web', 'cat', '/etc/hostname'], `scs-hello-${ENVIRONMENT}-web`],
        [['exec', '--instance', '2', 'web', 'cat', '/etc/hostname'], `scs-hello-${ENVIRONMENT}-web-2`],
      ] as const) {
        const container = await containerOf(name);
        expect(container, name).toBeDefined();
        const exec = await done([...args]);
        expect(exec.code, exec.stderr).toBe(0);
        // A container's hostname is the start of its id.
        expect(exec.stdout.trim()).toBe(container!.id.slice(0, 12));
      }
      const none = await done(['exec', '--instance', '3', 'web', 'true']);
      expect(none.code).toBe(1);
      expect(none.stderr.trim().split('\n')).toHaveLength(1);
      expect(none.stderr).toMatch(/web has no instance 3 here \(it has 1, 2\)/);
    }, 60_000);

    it("exec passes the command's words untouched, and exits with its exit code", async () => {
      expect((await done(['exec', 'web', 'sh', '-c', 'exit 3'])).code).toBe(3);
      for (const args of [
        ['exec', 'web', 'sh', '-c', 'echo $HOME -p'],
        ['exec', 'web', '--', 'sh', '-c', 'echo $HOME -p'],
      ]) {
        const exec = await done(args);
        expect(exec.code, exec.stderr).toBe(0);
        expect(exec.stdout).toBe('/root -p\n');
      }
      const listing = await done(['exec', '-e', 'WHO=scs', 'web', 'sh', '-c', 'ls -la /www; echo "$WHO" >&2']);
      expect(listing.code, listing.stderr).toBe(0);
      expect(listing.stdout).toMatch(/index\.html/);
      // stderr apart from stdout: Docker's multiplexed stream is split again.
      expect(listing.stderr).toMatch(/^scs$/m);
      expect(listing.stdout).not.toMatch(/^scs$/m);
    }, 60_000);

    it('exec sends stdin on, and its end closes the command’s', async () => {
      const cat = await done(['exec', '-T', 'web', 'cat'], 'hi\nthere\n');
      expect(cat.code, cat.stderr).toBe(0);
      expect(cat.stdout).toBe('hi\nthere\n');
    }, 60_000);

    it('exec gives the command a terminal when scs has one, and none with -T', async () => {
      // script(1) runs scs on a pseudo-terminal.
      const onTerminal = (args: string[]) => {
        const command = collect(
          spawn('script', ['-qec', [process.execPath, SCS, ...args].map((word) => `'${word}'`).join(' '), '/dev/null'], {
            cwd: dir,
            env: { ...process.env, ...env() },
          }),
        );
        started.push(command);
        command.child.stdin.end();
        return command;
      };
      const tty = onTerminal(['exec', 'web', 'sh', '-c', 'test -t 0 && test -t 1 && echo terminal']);
      expect(await tty.exited, tty.stdout + tty.stderr).toBe(0);
      expect(tty.stdout).toMatch(/terminal/);
      const none = onTerminal(['exec', '-T', 'web', 'sh', '-c', 'test -t 1 || echo no-terminal']);
      expect(await none.exited, none.stdout + none.stderr).toBe(0);
      expect(none.stdout).toMatch(/no-terminal/);
    }, 60_000);

    it('run starts a one-off with what the service requires from disco, and removes it', async () => {
      const one = await done(['run', '--rm', 'client', 'env']);
      expect(one.code, one.stderr).toBe(0);
      const required = /^SCS_REQUIRE_HTTP=(.*)$/m.exec(one.stdout)?.[1];
      const ps = await done(['ps', '--json']);
      const status = JSON.parse(ps.stdout) as { services: Array<{ service: string; provides: Array<{ address: string }> }> };
      const webs = status.services.filter((s) => s.service === 'web').flatMap((s) => s.provides.map((p) => p.address));
      expect(webs).toHaveLength(2);
      expect(required?.split(';').sort()).toEqual(webs.sort());
      expect(one.stdout).toMatch(/^SCS_SERVICE=client$/m);
      expect(await oneOffs()).toEqual([]);
      expect((await done(['run', 'client', 'sh', '-c', 'exit 4'])).code).toBe(4);
      expect(await oneOffs()).toEqual([]);
      const cat = await done(['run', '-T', 'client', 'cat'], 'from stdin\n');
      expect(cat.code, cat.stderr).toBe(0);
      expect(cat.stdout).toBe('from stdin\n');
    }, 120_000);

    it('run --no-rm keeps the one-off, which neither the agent nor scs ps takes for the service, until scs down', async () => {
      const before = JSON.parse((await done(['ps', '--json'])).stdout) as { services: Array<{ service: string; id: string }> };
      const kept = await done(['run', '--no-rm', 'client', 'sh', '-c', 'echo kept']);
      expect(kept.code, kept.stderr).toBe(0);
      expect(kept.stdout).toBe('kept\n');
      const [left] = await oneOffs();
      expect(left?.name).toMatch(new RegExp(`^scs-hello-${ENVIRONMENT}-client-run-[0-9a-f]{6}$`));
      expect(left?.labels[LABEL.service]).toBeUndefined();
      const after = JSON.parse((await done(['ps', '--json'])).stdout) as typeof before;
      expect(after.services.map((s) => [s.service, s.id])).toEqual(before.services.map((s) => [s.service, s.id]));
      const exec = await done(['exec', 'client', 'true']);
      expect(exec.code, exec.stderr).toBe(0);
    }, 60_000);

    it('an unknown service, or no command, is one sentence and a usage error', async () => {
      for (const args of [
        ['exec', 'nope', 'ls'],
        ['run', 'nope'],
        ['exec', 'web'],
      ]) {
        const refused = await done(args);
        expect(refused.code, args.join(' ')).toBe(2);
        expect(refused.stderr.trim().split('\n'), refused.stderr).toHaveLength(1);
      }
    }, 60_000);

    it('scs down removes a one-off left behind', async () => {
      const down = await done(['down']);
      expect(down.code, down.stderr).toBe(0);
      expect(await engine.list(mine)).toEqual([]);
    }, 120_000);
  },
);
