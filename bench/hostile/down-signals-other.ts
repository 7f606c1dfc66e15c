// A state.json naming the PID of an unrelated process (a reused PID, or a file written to aim
// `scs down` at something else): down runs against the real Docker Engine, and the figure is
// whether the unrelated process was signalled.

import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consola } from 'consola';
import { down } from '../../src/agent/down.ts';
import { writeState } from '../../src/agent/state.ts';
import { stateFolder } from '../../src/agent/state-folder.ts';
import type { Attack } from './attack.ts';

const attack: Attack = {
  name: 'down-signals-other',
  replays: 'scs down with a state.json that names the PID of an unrelated sleep',
  before: 'the sleep was killed (SIGTERM)',
  target: 'the sleep is not signalled',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'scs-bench-down-'));
    cpSync(fileURLToPath(new URL('../../examples/hello', import.meta.url)), dir, {
      recursive: true,
      filter: (source) => !source.includes('.scs'),
    });
    const sleep = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      writeState(stateFolder('benchdown', 'hello'), {
        pid: sleep.pid!,
        agentProcess: { startTime: '1', commandLine: ['node', 'scs', 'up', '--agent'] },
        project: 'benchdown',
        host: 'h',
        files: [join(dir, 'scs-stack.yaml')],
        only: [],
        phase: 'running',
        stack: 'hello',
        environment: 'dev',
        disco: '127.0.0.1:1',
        services: [],
      });
      await down({
        stack: { file: join(dir, 'scs-stack.yaml'), projectName: 'benchdown' },
        drainMs: 2000,
        logger: consola.create({ level: 0 }),
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const signalled = sleep.signalCode !== null || sleep.exitCode !== null;
      return {
        figure: signalled ? `the sleep was signalled (${sleep.signalCode ?? sleep.exitCode})` : 'the sleep is not signalled',
        met: !signalled,
      };
    } finally {
      sleep.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default attack;
