// The disco session an agent keeps for the agent after it: 0600, written whole, read back only when it
// is this user's, private, for the same disco, and well formed.

import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forgetSession, readSavedSession, saveSession, sessionFile } from '../../../src/agent/disco-session.ts';

const record = {
  session: 'abc',
  provisions: { p1: { name: 'http.web.hello.dev', host: '10.0.0.5', port: 8080, protocol: 'tcp' as const, attrs: { az: 'a' } } },
  watches: { r2: { name: '*.*.*.*' } },
};

describe("the agent's kept disco session", () => {
  it('is written 0600 and read back for the same disco only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scs-session-'));
    saveSession(dir, '127.0.0.1:9640', record);
    expect(statSync(sessionFile(dir)).mode & 0o777).toBe(0o600);
    expect(readSavedSession(dir, '127.0.0.1:9640')).toEqual(record);
    expect(readSavedSession(dir, '10.0.0.1:9640')).toBeUndefined();
    saveSession(dir, '127.0.0.1:9640', { ...record, session: 'def' });
    expect(readSavedSession(dir, '127.0.0.1:9640')?.session).toBe('def');
    forgetSession(dir);
    expect(readSavedSession(dir, '127.0.0.1:9640')).toBeUndefined();
  });

  it('is not read when others may read it, through a link, or when it is not what an agent writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scs-session-'));
    saveSession(dir, 'd', record);
    chmodSync(sessionFile(dir), 0o644);
    expect(readSavedSession(dir, 'd')).toBeUndefined();
    const elsewhere = join(dir, 'elsewhere.json');
    writeFileSync(elsewhere, readFileSync(sessionFile(dir)), { mode: 0o600 });
    rmSync(sessionFile(dir));
    symlinkSync(elsewhere, sessionFile(dir));
    expect(readSavedSession(dir, 'd')).toBeUndefined();
    rmSync(sessionFile(dir));
    for (const text of [
      'not json',
      JSON.stringify({ disco: 'd', session: 'x', provisions: { p1: { name: 'n', port: 99999 } }, watches: {} }),
    ]) {
      writeFileSync(sessionFile(dir), text, { mode: 0o600 });
      expect(readSavedSession(dir, 'd')).toBeUndefined();
      rmSync(sessionFile(dir));
    }
  });
});
