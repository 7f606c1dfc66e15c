// disco on an etcd that trusts no one by default (issue 26): TLS with client certificates
// (--client-cert-auth), and user/password auth with a role for the scs prefix only, each on a real etcd.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadYamlFile } from '../../src/config/yaml.ts';
import { DiscoConfigSchema } from '../../src/server/config.ts';
import { discoConfig } from '../../src/server/disco-config.ts';
import { EtcdBackend } from '../../src/server/etcd-backend.ts';
import { type EtcdAccess, EtcdClient, EtcdRefusal } from '../../src/server/etcd-client.ts';
import { runDisco } from '../../src/server/run-disco.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { certificatesForThisFile } from '../helpers/certs.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { ETCD, EtcdCluster, type EtcdSecurity, enableAuth } from '../helpers/etcd-cluster.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually, sleep } from '../helpers/wait.ts';
import { WirePeer } from '../helpers/wire.ts';

const timers = { heartbeatInterval: 200, heartbeatTimeout: 1000, grace: 2000 };
const certificates = certificatesForThisFile();
const PASSWORD = 'disco-password-0123';

async function etcd(security: EtcdSecurity): Promise<EtcdCluster> {
  const started = await EtcdCluster.start(1, security);
  onCleanup(() => started.stop());
  return started;
}

function client(urls: string[], access: EtcdAccess, retryMs = 5000): EtcdClient {
  const made = new EtcdClient(urls, retryMs, access);
  onCleanup(() => made.close());
  return made;
}

/** Two disco servers on the same etcd, reaching it with `access`: what one is given, the other mirrors. */
async function sharedAcross(urls: string[], access: EtcdAccess): Promise<void> {
  const servers: DiscoServer[] = [];
  for (let i = 0; i < 2; i++) {
    const backend = new EtcdBackend(new EtcdClient(urls, 5000, access), { prefix: '/scs/', ttlMs: 3000, logger: quietLogger });
    const server = await startDisco({ ...timers, backend });
    onCleanup(() => server.close());
    servers.push(server);
  }
  const provider = await WirePeer.open(servers[0]!.address().port);
  onCleanup(() => provider.destroy());
  expect(await provider.request({ op: 'hello', id: 1, version: 1 })).toMatchObject({ ok: true });
  expect(await provider.request({ op: 'provide', id: 2, name: 'http.web.hello.dev', host: '10.0.0.1', port: 80 })).toMatchObject({
    ok: true,
  });
  await eventually(() => servers[1]!.registry.lookup('http.web.hello.dev').length === 1, 5000, 'the other server to mirror it');
}

/** `scs disco --config disco.yaml` with this `etcd:` section (JSON is YAML), DNS off: it starts only once etcd takes it. */
async function discoFromYaml(etcd: unknown, files: Record<string, string> = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'scs-etcd-yaml-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const path = join(dir, 'disco.yaml');
  writeFileSync(path, `listen: 127.0.0.1:0\ndns: { listen: "off" }\netcd: ${JSON.stringify(etcd)}\n`);
  const running = await runDisco(discoConfig({}, { path, config: loadYamlFile(path, DiscoConfigSchema) }), { logger: quietLogger });
  await running.close();
}

describe.skipIf(!ETCD)(`disco on a secured etcd${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`, { timeout: 30_000 }, () => {
  it('reaches an etcd that asks for client certificates with its own, and is refused without one or with a stranger', async () => {
    const { files, pem } = certificates;
    const { urls } = await etcd({ tls: { cert: files.memberCert, key: files.memberKey, ca: files.ca } });
    expect(urls[0]).toMatch(/^https:/);
    const trusted = client(urls, { tls: { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey } });
    const lease = await trusted.grant(10);
    await trusted.put('/scs/p/x', 'v', lease);
    expect((await trusted.range('/scs/')).kvs.map((kv) => kv.key)).toEqual(['/scs/p/x']);

    for (const access of [{ tls: { ca: pem.ca } }, { tls: { ca: pem.ca, cert: pem.strangerCert, key: pem.strangerKey } }, {}]) {
      await expect(client(urls, access, 300).range('/scs/')).rejects.toThrow(/did not answer/);
    }
    await sharedAcross(urls, { tls: { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey } });
    await discoFromYaml({ endpoints: urls, ca: files.ca, cert: files.clientCert, key: files.clientKey });
    await expect(discoFromYaml({ endpoints: urls, ca: files.ca })).rejects.toThrow(/^cannot use etcd: etcd at https:.* did not answer/);
  });

  it('logs in with a user and password, stays within its role, and logs in again when its token expires', async () => {
    const { urls } = await etcd({ args: ['--auth-token-ttl', '1', '--bcrypt-cost', '4'] });
    await enableAuth(urls[0]!, 'disco', PASSWORD, '/scs/');
    await expect(client(urls, {}).range('/scs/')).rejects.toThrow(EtcdRefusal);
    await expect(client(urls, { user: 'disco', password: 'wrong-password' }).range('/scs/')).rejects.toThrow(
      /^etcd: cannot log in as disco: .*authentication failed/,
    );

    const disco = client(urls, { user: 'disco', password: PASSWORD });
    const lease = await disco.grant(10);
    await disco.put('/scs/p/x', 'v', lease);
    await expect(disco.put('/elsewhere/x', 'v', lease)).rejects.toThrow(/permission denied/);

    // A token etcd gave is forgotten after its TTL: the client's next call asks for another.
    const answer = await fetch(`${urls[0]}/v3/auth/authenticate`, {
      method: 'POST',
      body: JSON.stringify({ name: 'disco', password: PASSWORD }),
    });
    const { token } = (await answer.json()) as { token: string };
    await sleep(3000);
    const stale = await fetch(`${urls[0]}/v3/kv/range`, {
      method: 'POST',
      headers: { authorization: token },
      body: JSON.stringify({ key: Buffer.from('/scs/').toString('base64') }),
    });
    expect(JSON.stringify(await stale.json())).toMatch(/invalid auth token/);
    expect((await disco.range('/scs/')).kvs.map((kv) => kv.key)).toEqual(['/scs/p/x']);
    expect(await disco.keepAlive(lease)).toBe(true);

    await sharedAcross(urls, { user: 'disco', password: PASSWORD });
    await discoFromYaml({ endpoints: urls, user: 'disco', passwordFile: 'password' }, { password: `${PASSWORD}\n` });
    await expect(discoFromYaml({ endpoints: urls, user: 'disco', passwordFile: 'password' }, { password: 'wrong\n' })).rejects.toThrow(
      /^cannot use etcd: etcd: cannot log in as disco: .*authentication failed/,
    );
  });
});
