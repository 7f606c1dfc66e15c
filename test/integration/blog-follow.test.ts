// The blog replica's live update (examples/blog/backup/follow.sh) with what disco hands it, which
// comes from outside: the SQL it sends quotes every string, and an address that is not one is
// refused before any SQL is built. It runs in scs-base:debian, with a `mariadb` that only records
// the SQL it is given.

import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { dockerProblem } from '../helpers/docker.ts';

const run = promisify(execFile);
const FOLLOW = fileURLToPath(new URL('../../examples/blog/backup/follow.sh', import.meta.url));

/** Runs follow.sh with these SCS_REQUIRE_* values and this password: its exit code, its output and the SQL mariadb got. */
async function follow(env: Record<string, string>, password: string): Promise<{ code: number; output: string; sql: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'scs-blog-follow-'));
  writeFileSync(join(dir, 'mariadb'), '#!/bin/sh\ncat > /out/sql\n');
  chmodSync(join(dir, 'mariadb'), 0o755);
  writeFileSync(join(dir, 'password'), `${password}\n`);
  writeFileSync(join(dir, 'sql'), '');
  chmodSync(dir, 0o777);
  const args = ['run', '--rm', '--network', 'none'];
  args.push('-v', `${FOLLOW}:/follow.sh:ro`, '-v', `${dir}/mariadb:/usr/local/bin/mariadb:ro`, '-v', `${dir}:/out`);
  args.push('-v', `${dir}/password:/run/secrets/replication-password:ro`);
  for (const [key, value] of Object.entries(env)) args.push('-e', `${key}=${value}`);
  args.push('scs-base:debian', 'bash', '/follow.sh');
  const outcome = await run('docker', args).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
  );
  return { ...outcome, sql: readFileSync(join(dir, 'sql'), 'utf8') };
}

const at = (host: string, port: string) => ({
  SCS_REQUIRE_MYSQL: `${host}:${port}`,
  SCS_REQUIRE_MYSQL_HOST: host,
  SCS_REQUIRE_MYSQL_PORT: port,
});

describe.skipIf(dockerProblem !== undefined)(`the blog replica's live update${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  it('quotes the password in its SQL, backslashes and quotes doubled', async () => {
    const { code, sql } = await follow(at('10.0.0.5', '3306'), "it's\\");
    expect(code).toBe(0);
    expect(sql).toContain("CHANGE MASTER TO MASTER_HOST='10.0.0.5', MASTER_PORT=3306, MASTER_USER='replication',");
    expect(sql).toContain("MASTER_PASSWORD='it''s\\\\', MASTER_USE_GTID=slave_pos");
  }, 60_000);

  it.each([
    ['a host that closes the string', at("10.0.0.5', MASTER_USER='root", '3306')],
    ['a port that is more than digits', at('10.0.0.5', '3306, MASTER_USER=root')],
    ['a host without a port', { SCS_REQUIRE_MYSQL: '10.0.0.5', SCS_REQUIRE_MYSQL_HOST: '10.0.0.5', SCS_REQUIRE_MYSQL_PORT: '' }],
    ['shell in the address list', { ...at('10.0.0.5', '3306'), SCS_REQUIRE_MYSQL: '10.0.0.5:3306";touch /out/pwned;"' }],
  ])(
    'refuses %s, and sends no SQL',
    async (_what, env) => {
      const { code, output, sql } = await follow(env, 'secret');
      expect(code).toBe(1);
      expect(output).toMatch(/^backup: refusing /m);
      expect(sql).toBe('');
    },
    60_000,
  );
});
