// A stack file from outside the agent's folder sent through its control socket: named directly, by
// `..`, and through a link inside the folder. The agent runs in this process against the in-memory
// engine and its embedded disco; the figure is how many of the three it compiled and applied.

import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { consola } from 'consola';
import { callAgent } from '../../src/agent/control.ts';
import { runAgent } from '../../src/agent/run-agent.ts';
import { compiledStack, service } from '../../test/helpers/compiled.ts';
import { ProcessEngine } from '../../test/helpers/fake-engine.ts';
import type { Attack } from './attack.ts';

const attack: Attack = {
  name: 'control-foreign-files',
  replays: "scs up through the agent's control socket with a stack file from outside its folder (direct, by .., by a link)",
  before: '3 of 3 compiled',
  target: '0 of 3 compiled',
  async run() {
    consola.level = 1;
    const compiled = { ...compiledStack([service('web', {})]), dns: 'none' as const };
    const running = await runAgent({
      compiled,
      services: [],
      project: 'bench',
      waitTimeoutMs: 2000,
      debounceMs: 20,
      holdMs: 100,
      logs: false,
      engine: new ProcessEngine(),
    });
    const elsewhere = mkdtempSync(join(tmpdir(), 'scs-bench-elsewhere-'));
    try {
      const file = join(elsewhere, 'scs-stack.yaml');
      writeFileSync(file, 'stack: shop\nenvironment: test\nservices:\n  web: { image: busybox }\n');
      symlinkSync(file, join(compiled.directory, 'linked.yaml'));
      const named = [file, join(compiled.directory, '..', basename(elsewhere), 'scs-stack.yaml'), join(compiled.directory, 'linked.yaml')];
      let accepted = 0;
      for (const one of named) {
        const refused = await callAgent(running.agent.state().control!, { op: 'up', files: [one], services: [] }, () => {}).then(
          () => false,
          (error: Error) => error.message.includes('the agent takes only stack files below'),
        );
        if (!refused) accepted++;
      }
      return { figure: `${accepted} of ${named.length} compiled`, met: accepted === 0 };
    } finally {
      await running.stop();
      rmSync(elsewhere, { recursive: true, force: true });
      rmSync(compiled.directory, { recursive: true, force: true });
    }
  },
};

export default attack;
