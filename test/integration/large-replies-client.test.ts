// The CLI on large replies, end to end: the server sends them in parts and pages (docs/protocol.md),
// and the client joins the parts and follows the pages, so nothing is cut and nothing loops.

import { describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/cleanup.ts';
import { scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { provideMany } from '../helpers/view.ts';
import { eventually } from '../helpers/wait.ts';
import { WirePeer } from '../helpers/wire.ts';

async function provider(port: number): Promise<WirePeer> {
  const peer = await WirePeer.session(port);
  onCleanup(() => peer.destroy());
  return peer;
}

describe('large replies through the CLI (needs the new client)', () => {
  it('scs require --json prints all 2,000 endpoints of one name', async () => {
    const server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000 });
    onCleanup(() => server.close());
    const port = server.address().port;
    await provideMany(await provider(port), 'web.front.shop', 2000, { az: 'us-east-1a' });
    const command = scs(['require', 'web.front.shop', '--json', '--disco', `127.0.0.1:${port}`]);
    onCleanup(() => command.child.kill('SIGKILL'));
    // The snapshot is one long line: read it once its newline is in, not while it is still arriving.
    const first = await eventually(
      () => (command.stdout.includes('\n') ? command.stdout.split('\n')[0] : undefined),
      15_000,
      'the initial snapshot',
    );
    const initial = JSON.parse(first);
    expect(initial.event).toBe('initial');
    expect(initial.endpoints).toHaveLength(2000);
  }, 30_000);

  it('scs ls --json prints all 100,000 entries of the registry', async () => {
    // One session provides them all: past the default cap of 10,000 per session.
    const server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000, maxProvisionsPerSession: 100_000 });
    onCleanup(() => server.close());
    const port = server.address().port;
    const peer = await provider(port);
    for (let round = 0; round < 10; round++) await provideMany(peer, `svc${round}.db.blog.prod`, 10_000, {}, 100_000 * (round + 1));
    const command = scs(['ls', '--json', '--disco', `127.0.0.1:${port}`]);
    onCleanup(() => command.child.kill('SIGKILL'));
    const exited = await Promise.race([command.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000))]);
    expect(exited).toBe(0);
    const listed = JSON.parse(command.stdout) as Array<{ id: string }>;
    expect(listed).toHaveLength(100_000);
    expect(new Set(listed.map((endpoint) => endpoint.id)).size).toBe(100_000);
  }, 40_000);
});
