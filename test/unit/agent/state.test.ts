// The agent's state file as the CLI reads it, including one written before the rename of role to service.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState, stateDirectory } from '../../../src/agent/state.ts';

describe('the state file', () => {
  it('reads one written before the rename: roles as only, each role as service', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scs-state-'));
    mkdirSync(stateDirectory(dir, 'one'), { recursive: true });
    const record = { role: 'web', containerName: 'scs-shop-test-web', image: 'x', status: 'running', provides: [], requires: [] };
    const old = { pid: 1, project: 'one', host: 'h', files: [], roles: ['web'], phase: 'running', stack: 'shop', services: [record] };
    writeFileSync(join(stateDirectory(dir, 'one'), 'state.json'), JSON.stringify(old));
    const state = readState(dir, 'one')!;
    expect(state.only).toEqual(['web']);
    expect(state.services.map((s) => s.service)).toEqual(['web']);
    expect(state.services[0]).not.toHaveProperty('role');
  });
});
