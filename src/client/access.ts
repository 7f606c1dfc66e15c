// How a client reaches disco: the addresses (`--disco`), and TLS and the token from their files
// (flags, else the environment). Files are read here, so that a missing one is named in one sentence.

import { readFileSync } from 'node:fs';
import { type HostPort, parseHostPort } from '../address.ts';
import { flag, UsageError } from '../errors.ts';
import { warnIfKeyFileOpen } from '../key-files.ts';
import type { DiscoClientOptions } from './client.ts';

/** The files of `--tls-ca`, `--tls-cert`, `--tls-key` and `--token-file`, as given. */
export interface AccessFiles {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tokenFile?: string;
}

/** TLS and the token, from the files given or else the environment: what `DiscoClient` needs on top of the address. */
export function discoAccess(files: AccessFiles, env: NodeJS.ProcessEnv = process.env): Pick<DiscoClientOptions, 'tls' | 'token'> {
  const file = (name: string, path: string | undefined) => (path ? flag(name, () => readText(path)) : undefined);
  const key = (name: string, path: string | undefined) => {
    if (path) warnIfKeyFileOpen(path);
    return file(name, path);
  };
  const ca = file('tls-ca', files.tlsCa ?? env.SCS_TLS_CA);
  const cert = file('tls-cert', files.tlsCert ?? env.SCS_TLS_CERT);
  const tlsKey = key('tls-key', files.tlsKey ?? env.SCS_TLS_KEY);
  if ((cert === undefined) !== (tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together: give both, or neither');
  const tokenFile = files.tokenFile ?? env.SCS_TOKEN_FILE;
  const token = tokenFile ? key('token-file', tokenFile)!.trim() : env.SCS_TOKEN?.trim() || undefined;
  if (token === '') throw new UsageError(`--token-file: ${tokenFile} is empty`);
  // A client certificate alone means TLS too, verified against the system's CAs.
  const tls = ca !== undefined || cert !== undefined ? { ...(ca ? { ca } : {}), ...(cert ? { cert, key: tlsKey } : {}) } : undefined;
  return { ...(tls ? { tls } : {}), ...(token ? { token } : {}) };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${(error as Error).message}`);
  }
}

/** `HOST:PORT[,HOST:PORT...]`: disco servers sharing one registry, tried in order (docs/ha.md). */
export function parseDiscoList(text: string): HostPort[] {
  return flag('disco', () =>
    String(text)
      .split(',')
      .map((one) => parseHostPort(one)),
  );
}
