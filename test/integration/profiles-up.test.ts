// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${...} in these strings are the stack file's own
// Profiles and variables on the Docker Engine: `scs up -d` leaves a profiled service out; `scs up
// --profile debug` against the running agent adds it; and the agent reads the stack files with the
// variables of the `scs up` that hands them over (the command's environment over `.env`), not its own.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/labels.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';

const STACK = `profiles${process.pid}`;

describe.skipIf(dockerProblem !== undefined)(
  `profiles and variables on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let dir: string;
    const started: Running[] = [];
    const run = (args: string[], env: Record<string, string> = {}) => {
      const command = scs(args, { SCS_FILE: '', SCS_PROFILES: '', GREETING: '', ...env }, dir);
      started.push(command);
      return command;
    };
    const ok = async (args: string[], env: Record<string, string> = {}) => {
      const command = run(args, env);
      expect(await command.exited, `scs ${args.join(' ')}\n${command.stderr}`).toBe(0);
      return command;
    };
    /** Each running service's GREETING, read from its container. */
    const greetings = async () => {
      const found: Record<string, string | undefined> = {};
      for (const container of await engine.list({ [LABEL.stack]: STACK })) {
        const info = await engine.docker.getContainer(container.id).inspect();
        const service = info.Config.Labels[LABEL.service]!;
        found[service] = (info.Config.Env ?? []).find((line) => line.startsWith('GREETING='))?.slice('GREETING='.length);
      }
      return found;
    };

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'scs-profiles-'));
      mkdirSync(join(dir, 'sleeper'));
      writeFileSync(join(dir, 'sleeper', 'scs.yaml'), 'from: scs-base:busybox\ncommand: [sleep, "3600"]\n');
      writeFileSync(
        join(dir, 'scs-stack.yaml'),
        [
          `name: ${STACK}`,
          'environment: test',
          'env:',
          '  GREETING: ${GREETING:-${FALLBACK:-none}}',
          'services:',
          '  web:',
          '    image: ./sleeper',
          '  debugtool:',
          '    image: ./sleeper',
          '    profiles: [debug]',
          '',
        ].join('\n'),
      );
      writeFileSync(join(dir, '.env'), 'FALLBACK=from-dotenv\n');
    });

    afterAll(async () => {
      for (const command of started) command.child.kill('SIGKILL');
      if (!dir) return;
      await run(['down']).exited;
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('leaves a profiled service out, then adds it with --profile, with the command’s variables', async () => {
      await ok(['up', '-d']);
      expect(await greetings()).toEqual({ web: 'from-dotenv' });
      // The agent runs with an empty GREETING; this command's is what the files read.
      await ok(['up', '-d', '--profile', 'debug'], { GREETING: 'from-the-command' });
      expect(await greetings()).toEqual({ web: 'from-the-command', debugtool: 'from-the-command' });
      const ps = await ok(['ps', '--json', '--profile', 'debug']);
      expect((JSON.parse(ps.stdout) as { services: Array<{ service: string }> }).services.map((s) => s.service).sort()).toEqual([
        'debugtool',
        'web',
      ]);
    }, 240_000);
  },
);
