// Key material readable by group or others: the token files and TLS keys that the client and disco
// read get one warning line naming the file; certificates, and files only their owner may read, none.

import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consola } from 'consola';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoAccess } from '../../src/client/access.ts';
import { readTokens } from '../../src/server/run-disco.ts';

describe('key files readable by others', () => {
  let dir: string;
  const warnings: string[] = [];
  const reporter = {
    log: (entry: { type: string; args: unknown[] }) => void (entry.type === 'warn' && warnings.push(String(entry.args[0]))),
  };
  const file = (name: string, mode: number, text = 'a-token-long-enough-for-disco-0123456789') => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scs-keys-'));
    warnings.length = 0;
    consola.addReporter(reporter);
  });
  afterEach(() => consola.removeReporter(reporter));

  it('warns once for each token file and TLS key the client reads that group or others may read, naming it', () => {
    const token = file('token', 0o644);
    const key = file('client.key', 0o640);
    const cert = file('client.crt', 0o644);
    discoAccess({ tokenFile: token, tlsKey: key, tlsCert: cert });
    expect(warnings).toEqual([
      `${key} holds key material but group or others may read it (mode 640); chmod 600 ${key}`,
      `${token} holds key material but group or others may read it (mode 644); chmod 600 ${token}`,
    ]);
  });

  it('says nothing of key files only their owner may read', () => {
    discoAccess({ tokenFile: file('token', 0o600), tlsKey: file('client.key', 0o400), tlsCert: file('client.crt', 0o644) });
    const owned = file('disco-token', 0o600);
    readTokens([{ tokenFile: owned, where: owned, provide: [], require: [] }]);
    expect(warnings).toEqual([]);
  });

  it('warns for a token file of disco.yaml that others may read', () => {
    const token = file('disco-token', 0o604);
    readTokens([{ tokenFile: token, where: token, provide: [], require: [] }]);
    expect(warnings).toEqual([`${token} holds key material but group or others may read it (mode 604); chmod 600 ${token}`]);
  });
});
