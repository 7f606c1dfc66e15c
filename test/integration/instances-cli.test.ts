// `scs scale`, `scs drain` and `scs undrain` against a real disco, as a user runs them: what they
// print, --format json, what disco keeps, `scs placement`'s columns, and the exit codes of a usage
// error (2), a refusal (1) and a disco that does not answer (3).

import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';

async function disco(options: Parameters<typeof startDisco>[0] = {}): Promise<DiscoServer> {
  const server = await startDisco(options);
  onCleanup(() => server.close());
  return server;
}

async function run(running: Running): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const code = await running.exited;
  return { code, stdout: running.stdout, stderr: running.stderr };
}

const env = { NO_COLOR: '1', SCS_DISCO: '', SCS_TOKEN: '', SCS_TOKEN_FILE: '' };

describe('scs scale, drain and undrain', { timeout: 60_000 }, () => {
  it('set the records in disco, say what they did, and show in scs placement', async () => {
    const server = await disco();
    const at = `127.0.0.1:${server.address().port}`;
    const scaled = await run(scs(['scale', 'web.blog.prod=3', 'db.blog.prod=1', '--disco', at], env));
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stdout + scaled.stderr).toContain('web.blog.prod: replicas 3 (scs scale); drained: nothing');
    expect(server.instances.book.get('web.blog.prod')?.replicas).toEqual({ count: 3, cause: 'scale' });

    const drained = await run(scs(['drain', 'web.blog.prod', '--host', 'h1', '--instance', '1', '--disco', at, '--format', 'json'], env));
    expect(drained.code, drained.stderr).toBe(0);
    expect(JSON.parse(drained.stdout)).toMatchObject([
      { service: 'web.blog.prod', replicas: { count: 3 }, drained: [{ host: 'h1', instance: 1, by: 'scs drain' }], revision: 2 },
    ]);
    const placement = await run(scs(['placement', '--disco', at, '*.*.blog.prod'], env));
    expect(placement.code, placement.stderr).toBe(0);
    const lines = placement.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/REPLICAS\s+DRAINED$/);
    expect(lines.find((line) => line.startsWith('web.blog.prod'))).toMatch(/3 \(scale\)\s+instance 1 on h1$/);
    expect(lines.find((line) => line.startsWith('db.blog.prod'))).toMatch(/1 \(scale\)\s+-$/);

    const undrained = await run(scs(['undrain', 'web.blog.prod', '--disco', at], env));
    expect(undrained.code, undrained.stderr).toBe(0);
    expect(undrained.stdout + undrained.stderr).toContain('web.blog.prod: replicas 3 (scs scale); drained: nothing');
    expect(server.instances.book.get('web.blog.prod')?.drained).toEqual([]);
  });

  it('exit 2 on a usage error, 1 when disco refuses, 3 when disco does not answer', async () => {
    const server = await disco({ tokens: [{ token: 'observer-token-0123', provide: [], require: [], observe: ['*.*.*.*'] }] });
    const at = `127.0.0.1:${server.address().port}`;
    for (const [args, said] of [
      [['scale', 'web.blog.prod=101'], 'web.blog.prod=101: expected SERVICE=N, with N from 0 to 100 (e.g. web=3)'],
      [['scale', 'web.blog.prod'], 'expected SERVICE=N'],
      [['drain', 'web.blog.prod', '--instance', 'two'], '--instance: expected an instance number from 1 to 100, not "two"'],
      [['drain', 'web.blog.prod', '--host', 'Not_A_Host'], '--host: expected a host name like "h1", not "Not_A_Host"'],
      [['undrain', 'web.blog.prod', '--format', 'yaml'], '--format: expected table or json, not "yaml"'],
    ] as const) {
      const result = await run(scs([...args, '--disco', at], env));
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(said);
    }
    const refused = await run(scs(['drain', 'web.blog.prod', '--disco', at], { ...env, SCS_TOKEN: 'observer-token-0123' }));
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain("this session's token may not place *.web.blog.prod");

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await run(scs(['scale', 'web.blog.prod=2', '--disco', `127.0.0.1:${port}`], env));
    expect(unreachable.code, unreachable.stderr).toBe(3);
  });
});
