// `scs events` as a user runs it, against a real disco: each line says what happened and why, for a
// provider that says goodbye, one that is killed, and one that is stopped (SIGSTOP) with its socket
// open; `--since` replays, a past `--until` exits after the replay, and the exit codes are the CLI's.

import { describe, expect, it } from 'vitest';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { eventually } from '../helpers/wait.ts';

const NAME = 'mysql.db.shop.dev';

async function disco(times = { heartbeatInterval: 200, heartbeatTimeout: 1000, grace: 500 }): Promise<DiscoServer> {
  const server = await startDisco(times);
  onCleanup(() => server.close());
  return server;
}

function run(args: string[]): Running {
  const running = scs(args);
  onCleanup(() => running.child.kill('SIGKILL'));
  return running;
}

/** The JSON lines printed so far. */
const lines = (running: Running) =>
  running.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
const droppedLine = (running: Running) => lines(running).find((event) => event.kind === 'endpoint-dropped');
/** `scs provide` says it provides once it listens for Ctrl-C: interrupted before, it would die without its goodbye. */
const providing = (running: Running) =>
  eventually(() => `${running.stdout}${running.stderr}`.includes('providing'), 15_000, 'scs provide to say so');

describe('scs events', () => {
  it('prints a drop with its reason: goodbye when the provider stops, lost-socket when it is killed', async () => {
    const server = await disco();
    const disco_ = `127.0.0.1:${server.address().port}`;
    const events = run(['events', '--json', '--disco', disco_]);
    await eventually(() => server.events.followerCount === 1, 15_000, 'scs events to follow');
    const polite = run(['provide', NAME, '10.0.0.5:3306', '--disco', disco_]);
    await eventually(() => lines(events).some((e) => e.kind === 'endpoint-added'), 15_000, 'the add');
    expect(lines(events).find((e) => e.kind === 'endpoint-added')).toMatchObject({
      name: NAME,
      reason: 'provide',
      detail: '10.0.0.5:3306/tcp',
      server: server.events.server,
    });
    await providing(polite);
    polite.child.kill('SIGINT');
    expect(await eventually(() => droppedLine(events), 10_000, 'the drop')).toMatchObject({ name: NAME, reason: 'goodbye' });

    events.stdout = '';
    const killed = run(['provide', NAME, '10.0.0.6:3306', '--disco', disco_]);
    await eventually(() => lines(events).some((e) => e.kind === 'endpoint-added'), 15_000, 'the add');
    killed.child.kill('SIGKILL');
    expect(await eventually(() => droppedLine(events), 10_000, 'the drop')).toMatchObject({ reason: 'lost-socket' });

    events.child.kill('SIGINT');
    expect(await events.exited).toBe(0);
  });

  it('prints a heartbeat timeout for a provider stopped with its socket open, once the grace has run out', async () => {
    const server = await disco();
    const disco_ = `127.0.0.1:${server.address().port}`;
    const events = run(['events', '--json', '--disco', disco_]);
    await eventually(() => server.events.followerCount === 1, 15_000, 'scs events to follow');
    const stopped = run(['provide', NAME, '10.0.0.7:3306', '--disco', disco_]);
    await eventually(() => lines(events).some((e) => e.kind === 'endpoint-added'), 15_000, 'the add');
    stopped.child.kill('SIGSTOP');
    try {
      expect(await eventually(() => droppedLine(events), 15_000, 'the drop')).toMatchObject({ reason: 'heartbeat-timeout' });
    } finally {
      stopped.child.kill('SIGCONT');
    }
  });

  it('replays with --since, as text, and exits after the replay when --until is past', async () => {
    const server = await disco();
    const disco_ = `127.0.0.1:${server.address().port}`;
    const provider = run(['provide', NAME, '10.0.0.5:3306', '--disco', disco_]);
    await providing(provider);
    provider.child.kill('SIGINT');
    await eventually(() => server.registry.size === 0, 10_000, 'the provider to go');
    const replay = run(['events', '--since', '10m', '--until', '0s', '--disco', disco_, '*.*.shop.dev']);
    expect(await replay.exited).toBe(0);
    const time = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
    expect(replay.stdout).toMatch(
      new RegExp(
        `^${time} endpoint-added ${NAME} provide 10\\.0\\.0\\.5:3306/tcp \\(client=[^)]+\\)\\n` +
          `${time} endpoint-dropped ${NAME} goodbye 10\\.0\\.0\\.5:3306/tcp \\(client=[^)]+\\)\\n$`,
      ),
    );
    // The server's own start is not among the names of the pattern; with every name it is.
    const every = run(['events', '--since', '10m', '--until', '0s', '--disco', disco_]);
    expect(await every.exited).toBe(0);
    expect(every.stdout.split('\n')[0]).toMatch(new RegExp(`^${time} server-joined ${server.events.server} started `));
  });

  it('streams until a --until to come, then exits 0', async () => {
    const server = await disco();
    // A duration is back from now, as in docker events: a time to come is given as a time.
    const until = new Date(Date.now() + 10_000).toISOString();
    const events = run(['events', '--until', until, '--json', '--disco', `127.0.0.1:${server.address().port}`]);
    await eventually(() => server.events.followerCount === 1, 10_000, 'scs events to follow');
    expect(await events.exited, events.stderr).toBe(0);
    expect(server.events.followerCount).toBe(0);
  });

  it("prints the disco server's shutdown as its last event, then exits 1 saying the stream ended", async () => {
    const server = await startDisco({ heartbeatInterval: 200, heartbeatTimeout: 1000, grace: 500 });
    const events = run(['events', '--disco', `127.0.0.1:${server.address().port}`]);
    await eventually(() => server.events.followerCount === 1, 15_000, 'scs events to follow');
    await server.close();
    expect(await events.exited).toBe(1);
    expect(events.stdout).toMatch(new RegExp(`^\\S+ server-left ${server.events.server} server-shutdown server shutting down\\n$`));
    expect(events.stderr).toContain('the event stream ended: lost the connection to disco');
  });

  it('exits 2 for a bad --since and 3 when disco cannot be reached', async () => {
    const bad = run(['events', '--since', 'yesterday', '--disco', '127.0.0.1:1']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr).toContain('--since');
    const unreachable = run(['events', '--disco', '127.0.0.1:1']);
    expect(await unreachable.exited).toBe(3);
  });
});
