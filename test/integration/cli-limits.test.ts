// The CLI side of issue 7: long-running commands wait for a disco that is not up yet (item 7),
// and `scs disco` takes the new limits from flags and from disco.yaml (item 5).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/cleanup.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { portOutsideEphemeral } from '../helpers/ports.ts';
import { eventually, sleep } from '../helpers/wait.ts';
import { WirePeer } from '../helpers/wire.ts';

function start(args: string[]): Running {
  const process = scs(args);
  onCleanup(() => process.child.kill('SIGKILL'));
  return process;
}

describe('waiting for disco (item 7)', () => {
  it.each([
    ['provide', ['provide', 'mysql.db.blog.prod', '10.0.0.5:3306'], /providing mysql\.db\.blog\.prod/],
    ['require', ['require', 'mysql.db.blog.prod'], /mysql\.db\.blog\.prod: 0 endpoint/],
  ])('scs %s waits for a disco that is not up yet, saying so once', async (_verb, args, ready) => {
    const port = portOutsideEphemeral();
    const command = start([...args, '--disco', `127.0.0.1:${port}`]);
    const output = () => command.stdout + command.stderr;
    await eventually(() => /not up yet; waiting for it/.test(output()), 15_000, `the waiting line; it said: ${output()}`);
    await sleep(1500); // Several retries, still one line.
    expect(output().match(/waiting for it/g)).toHaveLength(1);
    const server = await startDisco({ port });
    onCleanup(() => server.close());
    await eventually(() => ready.test(output()), 15_000, `the command to connect; it said: ${output()}`);
    command.child.kill('SIGINT');
    const code = await command.exited;
    expect(code, `exit ${code} (${command.child.signalCode}); it said: ${output()}`).toBe(0);
  });

  it('scs ls still fails at once, exiting 3', async () => {
    const port = portOutsideEphemeral();
    const command = start(['ls', '--disco', `127.0.0.1:${port}`]);
    expect(await command.exited).toBe(3);
    expect(command.stderr).toMatch(/cannot reach disco/);
  });
});

describe('scs disco limits (item 5)', () => {
  async function startCli(args: string[]): Promise<number> {
    const disco = start(['disco', '--listen', '127.0.0.1:0', '--dns', 'off', ...args]);
    const output = () => disco.stdout + disco.stderr;
    return Number(
      await eventually(() => /listening on tcp 127\.0\.0\.1:(\d+)/.exec(output())?.[1], 15_000, `disco to listen; it said: ${output()}`),
    );
  }

  async function open(port: number): Promise<WirePeer> {
    const peer = await WirePeer.open(port);
    onCleanup(() => peer.destroy());
    return peer;
  }

  it('takes --max-connections-per-source and --hello-timeout', async () => {
    const port = await startCli(['--max-connections-per-source', '2', '--hello-timeout', '500ms']);
    const idle = await open(port);
    await open(port);
    const third = await open(port);
    expect(await third.next((m) => m.ok === false)).toMatchObject({ error: { code: 'too_many_connections' } });
    expect(await idle.next((m) => m.ok === false, 5000)).toMatchObject({
      error: { code: 'hello_timeout', message: expect.stringMatching(/500 ms/) },
    });
  });

  it('takes the limits from disco.yaml', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'scs-limits-')), 'disco.yaml');
    writeFileSync(file, 'limits:\n  connections: 1\n  lineTimeout: 400ms\n');
    const port = await startCli(['--config', file]);
    const first = await open(port);
    const second = await open(port);
    expect(await second.next((m) => m.ok === false)).toMatchObject({ error: { code: 'too_many_connections' } });
    first.send('{"op":"ping"');
    expect(await first.next((m) => m.ok === false, 5000)).toMatchObject({ error: { code: 'line_timeout' } });
  });

  it('refuses a limit that is not a whole number', async () => {
    const disco = start(['disco', '--listen', '127.0.0.1:0', '--dns', 'off', '--max-connections', 'many']);
    expect(await disco.exited).toBe(2);
    expect(disco.stderr).toMatch(/--max-connections: expected a whole number of 1 or more, not "many"/);
  });
});
