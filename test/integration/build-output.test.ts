// What the user sees of a build on the real daemon: each image's current step, the failing step's
// own output in the error (no --debug), and in the agent's agent.log timestamped lines without ANSI escapes.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentFolder } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';

const ENVIRONMENT = `build${process.pid}`;
const ESC = '\u001b';

describe.skipIf(dockerProblem !== undefined)(
  `build output on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let dir: string;
    const built: string[] = [];
    const stack = (image: string) =>
      `name: buildout\nenvironment: ${ENVIRONMENT}\nservices:\n  app:\n    image: ./${image}\n    restart: "no"\n`;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'scs-build-output-'));
      // A marker file makes the content, so the tag, new to this daemon: the build really runs.
      for (const image of ['good', 'bad']) {
        mkdirSync(join(dir, image));
        writeFileSync(join(dir, image, 'marker'), `${process.pid} ${Date.now()}\n`);
      }
      writeFileSync(
        join(dir, 'good/scs.yaml'),
        'from: scs-base:busybox\nbuild:\n  - copy: marker /marker\n  - run: echo preparing\ncommand: [sleep, "3600"]\n',
      );
      writeFileSync(
        join(dir, 'bad/scs.yaml'),
        'from: scs-base:busybox\nbuild:\n  - copy: marker /marker\n  - run: \'printf "compiling\\n\\033[31mfatal: no rule for target\\033[0m\\n" && exit 3\'\ncommand: [sleep, "3600"]\n',
      );
      writeFileSync(join(dir, 'good.yaml'), stack('good'));
      writeFileSync(join(dir, 'bad.yaml'), stack('bad'));
    });

    afterAll(async () => {
      if (!dir) return;
      await scs(['down', '-f', join(dir, 'good.yaml')]).exited;
      for (const tag of built)
        await engine.docker
          .getImage(tag)
          .remove()
          .catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('scs build says each step, and a failure shows the failing step and its output', async () => {
      const good = scs(['build', '-f', join(dir, 'good.yaml')]);
      expect(await good.exited, good.stderr).toBe(0);
      const output = good.stdout + good.stderr;
      expect(output).toMatch(/app: step 1\/\d+: FROM scs-base:busybox/);
      expect(output).toMatch(/app: step 3\/\d+: RUN echo preparing/);
      expect(output).not.toMatch(/^preparing$/m); // a step's output is for --debug, or for its failure
      const compiled = scs(['compile', '-f', join(dir, 'good.yaml')]);
      await compiled.exited;
      built.push(JSON.parse(compiled.stdout).services[0].image.tag);

      const bad = scs(['build', '-f', join(dir, 'bad.yaml')]);
      expect(await bad.exited).toBe(1);
      expect(bad.stderr).toMatch(/app: building scs\/buildout-app:\w+ failed at step 3\/\d+: RUN printf/);
      expect(bad.stderr).toMatch(/returned a non-zero code: 3/);
      expect(bad.stderr).toContain('| compiling');
      expect(bad.stderr).toContain('| fatal: no rule for target');
      expect(bad.stderr).not.toContain(ESC); // not a terminal: plain text
    }, 120_000);

    it('scs up -d writes timestamped, plain lines to its agent.log, the failing step’s output included', async () => {
      const bad = scs(['up', '-d', '-f', join(dir, 'bad.yaml')]);
      expect(await bad.exited).toBe(1);
      expect(bad.stderr).toContain('agent.log');
      const log = readFileSync(join(agentFolder('buildout'), 'agent.log'), 'utf8');
      const lines = log.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(3);
      for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \w+/);
      expect(log).toMatch(/\[build\] app: step 3\/\d+: RUN printf/);
      expect(log).toMatch(/ \| fatal: no rule for target/);
      expect(log).not.toContain(ESC);
    }, 120_000);
  },
);
