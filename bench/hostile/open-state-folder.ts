// The agent started in a state folder that others can enter (mode 755, as a umask of 022 makes it):
// its control socket would be reachable by any local user. The agent runs in this process against
// the in-memory engine; the figure is whether it started.

import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { consola } from 'consola';
import { runAgent } from '../../src/agent/run-agent.ts';
import { stateFolder } from '../../src/agent/state-folder.ts';
import { compiledStack, service } from '../../test/helpers/compiled.ts';
import { ProcessEngine } from '../../test/helpers/fake-engine.ts';
import type { Attack } from './attack.ts';

const attack: Attack = {
  name: 'open-state-folder',
  replays: 'the agent is started in a state folder of mode 755, where any local user can reach its control socket',
  before: 'started, its socket in a folder of mode 755',
  target: 'refused before anything opens',
  async run() {
    consola.level = 1;
    const compiled = { ...compiledStack([service('web', {})]), dns: 'none' as const };
    const folder = stateFolder('bench', compiled.stack);
    mkdirSync(folder, { recursive: true });
    chmodSync(folder, 0o755);
    try {
      const running = await runAgent({
        compiled,
        services: [],
        project: 'bench',
        waitTimeoutMs: 2000,
        debounceMs: 20,
        holdMs: 100,
        logs: false,
        engine: new ProcessEngine(),
      }).catch((error: Error) => error);
      if (running instanceof Error)
        return {
          figure: running.message.includes('others can enter') ? 'refused before anything opens' : running.message,
          met: running.message.includes('others can enter'),
        };
      await running.stop();
      return { figure: 'started, its socket in a folder of mode 755', met: false };
    } finally {
      rmSync(compiled.directory, { recursive: true, force: true });
    }
  },
};

export default attack;
