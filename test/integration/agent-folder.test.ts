// `scs up -d` and the agent's state folder: the folder guards the control socket, so the CLI
// refuses to start an agent in one that others can enter, before it starts anything, and keeps
// the agent's log 0600.

import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentFolder } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('scs up -d and the state folder', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scs-agent-folder-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a state folder others can enter, in one sentence, and starts no agent', async () => {
    const folder = agentFolder('hello', 'folder');
    mkdirSync(folder, { recursive: true });
    chmodSync(folder, 0o755);
    const command = scs(['up', '-d', '--project-name', 'folder'], {}, dir);
    expect(await command.exited).not.toBe(0);
    expect(command.stderr).toContain(
      `the agent does not start in a folder others can reach: others can enter ${folder} (mode 755); chmod 700 ${folder}`,
    );
    expect(() => statSync(join(folder, 'agent.log'))).toThrow();
  }, 30_000);
});
