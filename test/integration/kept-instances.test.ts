// The embedded disco's drains and counts outlive it: kept in its agent's state folder, read back by
// the next embedded disco there before anyone connects; a file that breaks the rules is left aside
// with one warning.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHostPort } from '../../src/address.ts';
import { startEmbeddedDisco } from '../../src/agent/agent-disco.ts';
import { keptInstancesFile } from '../../src/agent/kept-instances.ts';
import { DiscoClient } from '../../src/client/client.ts';
import { drain, readInstances, scale } from '../../src/client/instances.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { quietLogger, recordingLogger } from '../helpers/logging.ts';

function folder(): string {
  const made = mkdtempSync(join(tmpdir(), 'scs-kept-'));
  onCleanup(() => rmSync(made, { recursive: true, force: true }));
  return made;
}

async function connect(embedded: { disco: string; token: string }): Promise<DiscoClient> {
  const client = await DiscoClient.connect({
    ...parseHostPort(embedded.disco),
    token: embedded.token,
    name: 'scs drain',
    logger: quietLogger,
  });
  onCleanup(() => client.close());
  return client;
}

describe("the embedded disco's instances records", () => {
  it('are read back by the next embedded disco in the same state folder', async () => {
    const state = folder();
    const first = await startEmbeddedDisco(quietLogger, state);
    const client = await connect(first);
    await scale(client, [{ service: 'web.hello.dev', count: 2, cause: 'scale' }]);
    const [drained] = await drain(client, [{ service: 'web.hello.dev', host: 'h1', drained: true }]);
    await client.close();
    await first.close();

    const second = await startEmbeddedDisco(quietLogger, state);
    onCleanup(() => second.close());
    expect(await readInstances(await connect(second))).toEqual([drained]);
  });

  it('are left aside, with one warning, when the file breaks the rules', async () => {
    const state = folder();
    writeFileSync(keptInstancesFile(state), JSON.stringify([{ service: 'web.hello.dev', drained: 'all' }]), { mode: 0o600 });
    const log = recordingLogger();
    const embedded = await startEmbeddedDisco(log.logger, state);
    onCleanup(() => embedded.close());
    expect(await readInstances(await connect(embedded))).toEqual([]);
    expect(log.lines('warn')).toEqual([
      expect.stringMatching(/instances\.json is left aside \(drains and counts start empty\): 0\.drained: /),
    ]);
  });
});
