// `scs disco --etcd`: bad URLs and an etcd that does not answer are refused in one sentence.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scs } from '../helpers/cli.ts';
import { portOutsideEphemeral } from '../helpers/ports.ts';

describe('scs disco --etcd', { timeout: 30_000 }, () => {
  it('refuses a URL that is not http(s)://host:port', async () => {
    const bad = scs(['disco', '--etcd', 'http://127.0.0.1:2379,127.0.0.1:2380', '--dns', 'off', '--listen', '127.0.0.1:0']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr).toMatch(/--etcd: 1: expected a URL like http:\/\/127\.0\.0\.1:2379/);
  });

  it('refuses etcd: in disco.yaml when it is not a list of URLs', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'scs-disco-')), 'disco.yaml');
    writeFileSync(file, 'listen: 127.0.0.1:0\netcd: http://127.0.0.1:2379\n');
    const bad = scs(['disco', '--config', file, '--dns', 'off']);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr).toMatch(/disco\.yaml:2 etcd: expected a list of etcd URLs/);
  });

  it('says so in one sentence when etcd does not answer', async () => {
    const bad = scs(['disco', '--etcd', `http://127.0.0.1:${portOutsideEphemeral()}`, '--dns', 'off', '--listen', '127.0.0.1:0']);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr).toMatch(/cannot use etcd: etcd at http:\/\/127\.0\.0\.1:\d+ did not answer/);
  });
});
