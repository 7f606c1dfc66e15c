// The agent of `scs up -d` against a disco with TLS, client certificates and tokens, all from the
// environment (SCS_TLS_*, SCS_TOKEN_FILE): the stack comes up, registers through its token, and its
// containers get the host DNS, as the token may require every name. Without the CA, up fails in
// one sentence.

import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/engine.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { type Certificates, makeCertificates } from '../helpers/certs.ts';
import { scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { eventually } from '../helpers/wait.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'agent-token-0123456789abcdef';

describe.skipIf(dockerProblem !== undefined)(
  `scs up against a disco with TLS and tokens${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let dir: string;
    let certs: Certificates;
    let disco: DiscoServer;
    let env: Record<string, string>;
    const files = () => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'test.yaml')];

    beforeAll(async () => {
      await run(join(root, 'scripts/base-image'));
      certs = makeCertificates();
      const { pem, files: paths } = certs;
      disco = await startDisco({
        heartbeatInterval: 1000,
        heartbeatTimeout: 3000,
        grace: 3000,
        tls: { cert: pem.serverCert, key: pem.serverKey, ca: pem.ca },
        tokens: [{ token: TOKEN, provide: ['*.*.hello.tlstest'], require: ['*.*.*.*'] }],
      });
      dir = mkdtempSync(join(tmpdir(), 'scs-up-tls-'));
      cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
      writeFileSync(join(dir, 'test.yaml'), `environment: tlstest\ndisco: 127.0.0.1:${disco.address().port}\n`);
      const tokenFile = join(certs.dir, 'agent.token');
      writeFileSync(tokenFile, `${TOKEN}\n`);
      env = { SCS_TLS_CA: paths.ca, SCS_TLS_CERT: paths.clientCert, SCS_TLS_KEY: paths.clientKey, SCS_TOKEN_FILE: tokenFile };
    }, 180_000);

    afterAll(async () => {
      if (dir) {
        await scs(['down', '--volumes', ...files()], env).exited;
        rmSync(dir, { recursive: true, force: true });
      }
      await disco?.close();
      certs?.remove();
    }, 120_000);

    it('fails in one sentence without the CA, and starts nothing', async () => {
      const up = scs(['up', '-d', ...files()], { SCS_TOKEN_FILE: env.SCS_TOKEN_FILE! });
      expect(await up.exited).toBe(1);
      // up points at the agent's log, where the agent said why.
      const log = /see (\S+agent\.log)/.exec(up.stderr)?.[1];
      expect(log, up.stderr).toBeDefined();
      expect(readFileSync(log!, 'utf8')).toContain(
        `disco at 127.0.0.1:${disco.address().port} speaks only TLS; give --tls-ca (or SCS_TLS_CA) with the CA that signed its certificate`,
      );
      expect(await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'tlstest' })).toEqual([]);
    });

    it('brings the stack up through TLS and its token, with the host DNS for its containers', async () => {
      const up = scs(['up', '-d', ...files()], env);
      expect(await up.exited, up.stdout + up.stderr).toBe(0);
      const names = await eventually(
        () => {
          const registered = disco.registry.list().map((p) => p.name);
          return registered.includes('http.web.hello.tlstest') ? registered : undefined;
        },
        60_000,
        'web to register',
      );
      expect(names).toContain('http.web.hello.tlstest');
      const ls = scs(['ls', '*.*.hello.tlstest', '--json', '--disco', `127.0.0.1:${disco.address().port}`], env);
      expect(await ls.exited, ls.stderr).toBe(0);
      expect(JSON.parse(ls.stdout).map((e: { name: string }) => e.name)).toContain('http.web.hello.tlstest');
      const ps = scs(['ps', ...files()], env);
      await ps.exited;
      expect(ps.stdout).toMatch(/DNS \d+\.\d+\.\d+\.\d+:53/);
    });
  },
);
