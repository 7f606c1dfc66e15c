// `scs require` and `scs ls` with a pattern, as a person runs them: against a real disco, as
// child processes, reading what they print.

import { describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/cleanup.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { eventually } from '../helpers/wait.ts';
import { WirePeer } from '../helpers/wire.ts';

/** A disco holding two names of hello.dev and one of hello.prod, and the session that provides them. */
async function helloStack(): Promise<{ disco: string; provider: WirePeer; web: string }> {
  const server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000 });
  onCleanup(() => server.close());
  const port = server.address().port;
  const provider = await WirePeer.session(port);
  onCleanup(() => provider.destroy());
  const web = await provider.request({ op: 'provide', id: 1, name: 'web.web.hello.dev', host: '10.0.0.1', port: 8080 });
  await provider.request({ op: 'provide', id: 2, name: 'db.db.hello.dev', host: '10.0.0.2', port: 5432, attrs: { az: 'a' } });
  await provider.request({ op: 'provide', id: 3, name: 'web.web.hello.prod', host: '10.0.1.1', port: 8080 });
  return { disco: `127.0.0.1:${port}`, provider, web: web.provision };
}

function start(args: string[]): Running {
  const process = scs(args);
  onCleanup(() => process.child.kill('SIGKILL'));
  return process;
}

describe('scs require with a pattern', () => {
  it('prints each endpoint with its name, then each change; --exec gets SCS_REQUIRE_* per endpoint label', async () => {
    const { disco, provider, web } = await helloStack();
    const command = start([
      'require',
      '*.*.hello.dev',
      '--disco',
      disco,
      '--exec',
      'echo "exec web=$SCS_REQUIRE_WEB db=$SCS_REQUIRE_DB api=$SCS_REQUIRE_API"',
    ]);
    await eventually(() => command.stdout.includes('exec web='), 15_000, `the first run; saw ${command.stdout}${command.stderr}`);
    expect(command.stderr + command.stdout).toContain('*.*.hello.dev: 2 endpoint(s)');
    expect(command.stdout).toContain('  db.db.hello.dev 10.0.0.2:5432 (az=a)\n  web.web.hello.dev 10.0.0.1:8080\n');
    expect(command.stdout).toContain('exec web=10.0.0.1:8080 db=10.0.0.2:5432 api=\n');

    await provider.request({ op: 'provide', id: 4, name: 'api.web.hello.dev', host: '10.0.0.3', port: 9000 });
    await provider.request({ op: 'unprovide', id: 5, provision: web });
    await eventually(() => command.stdout.includes('- web.web.hello.dev 10.0.0.1:8080\n'), 10_000, 'the drop');
    expect(command.stdout).toContain('+ api.web.hello.dev 10.0.0.3:9000\n');
    // The last run sees the last state: web gone (unset), api there.
    await eventually(() => command.stdout.includes('exec web= db=10.0.0.2:5432 api=10.0.0.3:9000\n'), 10_000, 'the last run');
    expect(command.stdout).not.toContain('hello.prod');
  }, 30_000);

  it('--zone and --dc list the endpoints nearest first, for --exec too', async () => {
    const { disco, provider } = await helloStack();
    await provider.request({ op: 'provide', id: 4, name: 'db.db.hello.dev', host: '10.0.0.3', port: 5432, attrs: { zone: 'b', dc: 'x' } });
    await provider.request({ op: 'provide', id: 5, name: 'db.db.hello.dev', host: '10.0.0.4', port: 5432, attrs: { zone: 'c', dc: 'x' } });
    const exec = 'echo "exec db=$SCS_REQUIRE_DB host=$SCS_REQUIRE_DB_HOST"';
    const near = start(['require', 'db.db.hello.dev', '--disco', disco, '--zone', 'c', '--dc', 'x', '--exec', exec]);
    const stable = scs(['require', 'db.db.hello.dev', '--disco', disco, '--exec', exec], { SCS_ZONE: '', SCS_DC: '' });
    onCleanup(() => stable.child.kill('SIGKILL'));
    for (const command of [near, stable]) await eventually(() => command.stdout.includes('exec db='), 15_000, 'the first run');
    expect(near.stdout).toContain('exec db=10.0.0.4:5432;10.0.0.3:5432;10.0.0.2:5432 host=10.0.0.4\n');
    expect(stable.stdout).toContain('exec db=10.0.0.2:5432;10.0.0.3:5432;10.0.0.4:5432 host=10.0.0.2\n');
  }, 30_000);

  it('--exec does not pass SCS_TOKEN, the token this client uses, to the command', async () => {
    const { disco } = await helloStack();
    const command = scs(
      ['require', 'web.web.hello.dev', '--disco', disco, '--exec', 'echo "exec token=[$SCS_TOKEN] web=$SCS_REQUIRE_WEB"'],
      {
        SCS_TOKEN: 'a-secret-token-of-this-client-0123456789',
      },
    );
    onCleanup(() => command.child.kill('SIGKILL'));
    await eventually(() => command.stdout.includes('exec token='), 15_000, `the first run; saw ${command.stdout}${command.stderr}`);
    expect(command.stdout).toContain('exec token=[] web=10.0.0.1:8080\n');
  }, 30_000);

  it('--json prints the pattern and every endpoint with its name', async () => {
    const { disco, provider } = await helloStack();
    const command = start(['require', '*.web.hello.*', '--json', '--disco', disco]);
    const lines = () => command.stdout.split('\n').filter(Boolean);
    await eventually(() => lines().length >= 1, 15_000, 'the snapshot');
    const initial = JSON.parse(lines()[0]!);
    expect(initial.event).toBe('initial');
    expect(initial.name).toBe('*.web.hello.*');
    expect(initial.endpoints.map((e: { name: string; host: string }) => `${e.name}@${e.host}`)).toEqual([
      'web.web.hello.dev@10.0.0.1',
      'web.web.hello.prod@10.0.1.1',
    ]);
    await provider.request({ op: 'provide', id: 4, name: 'api.web.hello.test', host: '10.0.3.1', port: 9000 });
    await eventually(() => lines().length >= 2, 10_000, 'the change');
    const changed = JSON.parse(lines()[1]!);
    expect(changed).toMatchObject({
      event: 'changed',
      name: '*.web.hello.*',
      add: [{ name: 'api.web.hello.test', host: '10.0.3.1' }],
      drop: [],
    });
    expect(changed.endpoints).toHaveLength(3);
  }, 30_000);

  it('refuses a partial glob in one sentence, before connecting', async () => {
    const command = start(['require', 'web*.web.hello.dev', '--disco', '127.0.0.1:1']);
    expect(await command.exited).toBe(2);
    expect(command.stderr).toContain('name: endpoint "web*" mixes "*" with other characters; a "*" must stand alone for a whole label');
  }, 30_000);
});

describe('scs ls with a pattern', () => {
  it('lists the matching endpoints, as a table and as JSON', async () => {
    const { disco } = await helloStack();
    const table = start(['ls', '*.web.hello.*', '--disco', disco]);
    expect(await table.exited).toBe(0);
    expect(table.stdout.split('\n').filter(Boolean)).toEqual([
      'NAME                ADDRESS        PROTOCOL  ATTRIBUTES',
      'web.web.hello.dev   10.0.0.1:8080  tcp',
      'web.web.hello.prod  10.0.1.1:8080  tcp',
    ]);
    const json = start(['ls', '*.*.hello.dev', '--json', '--disco', disco]);
    expect(await json.exited).toBe(0);
    expect(JSON.parse(json.stdout).map((e: { name: string }) => e.name)).toEqual(['db.db.hello.dev', 'web.web.hello.dev']);
  }, 30_000);
});
