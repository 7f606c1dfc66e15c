// The Compose habits that need the real Docker Engine: `logs` of several services (prefixed,
// --tail, -t, -f after a global -f), `ps -q`, stop/start of every service, `up --no-wait`, and
// exit 124 when `up` waits longer than --wait-timeout.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitTimestamp } from '../../src/agent/log-stream.ts';
import { LABEL } from '../../src/docker/labels.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

const STACK = `habits${process.pid}`;

describe.skipIf(dockerProblem !== undefined)(
  `Compose habits on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let dir: string;
    const started: Running[] = [];
    const file = () => join(dir, 'scs-stack.yaml');
    /** scs in the stack's folder, with no SCS_FILE from outside. */
    const run = (args: string[], cwd = dir) => {
      const command = scs(args, { SCS_FILE: '' }, cwd);
      started.push(command);
      return command;
    };
    const ok = async (args: string[], cwd = dir) => {
      const command = run(args, cwd);
      expect(await command.exited, `scs ${args.join(' ')}\n${command.stderr}`).toBe(0);
      return command;
    };
    const containers = () => engine.list({ [LABEL.stack]: STACK });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'scs-habits-'));
      for (const [name, manifest] of [
        ['talker', `from: scs-base:busybox\ncommand: 'echo first; sleep 0.5; echo second; echo oops >&2; exec sleep 3600'\n`],
        ['echoer', `from: scs-base:busybox\ncommand: 'sleep 0.2; echo hello from echoer; exec sleep 3600'\n`],
        ['needy', 'from: scs-base:busybox\nrequires:\n  http: {}\ncommand: [sleep, "3600"]\n'],
      ] as const) {
        mkdirSync(join(dir, name));
        writeFileSync(join(dir, name, 'scs.yaml'), manifest);
      }
      writeFileSync(
        file(),
        `name: ${STACK}\nenvironment: test\nservices:\n  talker:\n    image: ./talker\n  echoer:\n    image: ./echoer\n`,
      );
      // A service whose requirement nobody provides: its wait runs out.
      writeFileSync(
        join(dir, 'needy.yaml'),
        `name: ${STACK}n\nenvironment: test\nservices:\n  needy:\n    image: ./needy\n    requires:\n      http: { service: web, stack: nowhere }\n`,
      );
      mkdirSync(join(dir, 'sub/deeper'), { recursive: true });
      await ok(['up', '-d']);
    }, 180_000);

    afterAll(async () => {
      for (const command of started) command.child.kill('SIGKILL');
      if (!dir) return;
      await run(['down']).exited;
      await run(['down', '-f', join(dir, 'needy.yaml'), '-p', 'needy']).exited;
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('logs: every service by default, prefixed as up prints them, in time order', async () => {
      let out = '';
      await eventuallyAsync(
        async () => {
          const logs = run(['logs'], join(dir, 'sub/deeper'));
          await logs.exited;
          out = logs.stdout;
          return out.includes('talker | second') && out.includes('echoer | hello from echoer');
        },
        15_000,
        `both services' lines; logs said: ${out}`,
      );
      const lines = out.trim().split('\n');
      expect(lines).toContain('talker | first');
      expect(lines).toContain('talker | oops');
      expect(lines.indexOf('talker | first')).toBeLessThan(lines.indexOf('talker | second'));
      // The services' lines are merged by the time Docker recorded each, whichever container said it.
      const stamped = await ok(['logs', '-t']);
      const times = stamped.stdout
        .trim()
        .split('\n')
        .map((line) => splitTimestamp(line.slice(line.indexOf('| ') + 2)).ns!);
      expect(times).toHaveLength(lines.length);
      expect(new Set(stamped.stdout.split('\n').map((line) => line.split(' ')[0]))).toContain('echoer');
      expect(times).toEqual([...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    });

    it('logs --tail, -t, --no-log-prefix, and a service named', async () => {
      const tail = await ok(['logs', '--tail', '1', 'talker']);
      expect(tail.stdout.trim().split('\n')).toHaveLength(1);
      const stamped = await ok(['logs', '-t', 'echoer']);
      expect(stamped.stdout).toMatch(/^echoer \| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z hello from echoer$/m);
      const bare = await ok(['logs', '--no-log-prefix', 'echoer']);
      expect(bare.stdout).toBe('hello from echoer\n');
      const since = await ok(['logs', '--since', '2000-01-01T00:00:00Z', 'echoer']);
      expect(since.stdout).toContain('hello from echoer');
      const future = await ok(['logs', '--since', '2100-01-01', 'echoer']);
      expect(future.stdout).toBe('');
      const unknown = run(['logs', 'nobody']);
      expect(await unknown.exited).toBe(2);
    });

    it('logs -f after a global -f follows', async () => {
      const follow = run(['-f', file(), 'logs', '-f', 'talker'], tmpdir());
      await eventually(
        () => follow.stdout.includes('talker | second'),
        15_000,
        `the past lines; it said: ${follow.stdout}${follow.stderr}`,
      );
      expect(follow.child.exitCode).toBeNull(); // still following
      follow.child.kill('SIGINT');
    });

    it('ps -q prints the ids of the containers, and --format json has them', async () => {
      const quiet = await ok(['ps', '-q']);
      const ids = (await containers()).map((c) => c.id).sort();
      expect(quiet.stdout.trim().split('\n').sort()).toEqual(ids);
      const json = await ok(['ps', '--format', 'json']);
      expect(
        JSON.parse(json.stdout)
          .services.map((s: { id: string }) => s.id)
          .sort(),
      ).toEqual(ids);
    });

    it('stop and start with no service act on every service', async () => {
      await ok(['stop']);
      expect((await containers()).map((c) => c.state)).toEqual(['exited', 'exited']);
      await ok(['start']);
      expect((await containers()).map((c) => c.state)).toEqual(['running', 'running']);
    });

    it('exits 124 when up waits longer than --wait-timeout, in the foreground and with -d', async () => {
      const needy = ['-f', join(dir, 'needy.yaml'), '-p', 'needy', 'up', '--wait-timeout', '1'];
      const foreground = run(needy);
      expect(await foreground.exited, foreground.stderr).toBe(124);
      expect(foreground.stderr).toMatch(/timed out after 1 s waiting for http\.web\.nowhere\.test/);
      const detached = run([...needy, '-d']);
      expect(await detached.exited, detached.stderr).toBe(124);
    });

    it('up --no-wait returns once the agent has started', async () => {
      // The agent that timed out above is on its way out; a failed agent takes no requests.
      const needy = run(['-f', join(dir, 'needy.yaml'), '-p', 'needy', 'up', '--no-wait', '--wait-timeout', '30s']);
      // It would wait 30 s for a requirement nobody provides; --no-wait returns before.
      expect(await needy.exited, needy.stderr).toBe(0);
      expect(needy.stdout + needy.stderr).toMatch(/agent of needy started \(pid \d+\)/);
    });
  },
);
