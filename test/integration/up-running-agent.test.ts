// What `scs up SERVICE` and `scs down` say against a running agent, on the real Docker Engine: the
// build line once, the agent's own lines for what it does, a last line that says what happened (not
// "up to date" after starting a service), and down's progress while the agent drains.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoServer } from '../../src/server/server.ts';
import { scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { dockerProblem } from '../helpers/docker.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ENVIRONMENT = `says${process.pid}`;

describe.skipIf(dockerProblem !== undefined)(
  `scs up and down against a running agent${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let dir: string;
    let disco: DiscoServer;
    const as = (...args: string[]) => scs([...args, '--project-name', 'says'], { SCS_DISCO: `127.0.0.1:${disco.address().port}` }, dir);
    const run = async (...args: string[]) => {
      const command = as(...args);
      const code = await command.exited;
      expect(code, `scs ${args.join(' ')}\n${command.stderr}`).toBe(0);
      return command;
    };
    const files = () => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'says.yaml')];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'scs-says-'));
      cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
      writeFileSync(join(dir, 'says.yaml'), `environment: ${ENVIRONMENT}\n`);
      disco = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000, grace: 2000 });
    }, 60_000);

    afterAll(async () => {
      if (!dir) return;
      await as('down', '--volumes', ...files()).exited;
      await disco?.close();
      rmSync(dir, { recursive: true, force: true });
    }, 180_000);

    it('up SERVICE says its build once, the agent lines, and that it converged; again, that all is up to date', async () => {
      await run('up', '-d', 'web', ...files());
      const added = await run('up', 'client', ...files());
      // consola prints info lines on stdout; the agent's lines, passed on, come on stderr.
      const said = `${added.stdout}${added.stderr}`;
      const lines = said.split('\n');
      expect(
        lines.filter((line) => /client: .*(is up to date|built scs\/)/.test(line)),
        said,
      ).toHaveLength(1);
      expect(said).toMatch(/client: started scs-hello-/);
      expect(said).toMatch(/has converged it/);
      expect(said).not.toMatch(/is up to date \(agent pid/);

      const again = await run('up', 'client', ...files());
      const saidAgain = `${again.stdout}${again.stderr}`;
      expect(saidAgain).toMatch(/is up to date \(agent pid/);
      expect(
        saidAgain.split('\n').filter((line) => /client: .*is up to date/.test(line)),
        saidAgain,
      ).toHaveLength(1);
    }, 300_000);

    it('down says, service by service, what it does while the agent drains', async () => {
      const down = await run('down', ...files());
      // All on stdout, as consola prints info lines: the agent's, passed on, then the last one.
      const lines = down.stdout.split('\n');
      const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
      for (const service of ['web', 'client']) {
        expect(at(new RegExp(`${service}: (dropped|draining|stopped)`)), down.stdout + down.stderr).toBeGreaterThanOrEqual(0);
        expect(at(new RegExp(`${service}: removed`)), down.stdout + down.stderr).toBeGreaterThanOrEqual(0);
      }
      // The lines come before the last one, as the work is done.
      expect(at(/removed/)).toBeLessThan(at(/is down/));
    }, 300_000);
  },
);
