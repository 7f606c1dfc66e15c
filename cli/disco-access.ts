// Who may use `scs disco`: its TLS files and its tokens, read from the flags and disco.yaml. Paths
// in disco.yaml are relative to the file; a file that cannot be read is named in one sentence.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type DiscoConfig, MIN_TOKEN_LENGTH } from '../src/server/config.ts';
import type { TokenGrant } from '../src/server/scopes.ts';
import type { ServerTls } from '../src/server/server.ts';
import { UsageError, UserError } from './common.ts';

export interface TlsFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

/** The server's TLS, from the flags or else disco.yaml; undefined for plain TCP. */
export function serverTls(flags: TlsFlags, config: DiscoConfig, configFile: string | undefined): ServerTls | undefined {
  const fromConfig = (path: string | undefined) => (path === undefined ? undefined : besideConfig(path, configFile));
  const cert = flags.tlsCert ?? fromConfig(config.tls?.cert);
  const key = flags.tlsKey ?? fromConfig(config.tls?.key);
  const ca = flags.tlsCa ?? fromConfig(config.tls?.ca);
  if (cert === undefined && key === undefined) {
    if (ca !== undefined) throw new UsageError('--tls-ca needs --tls-cert and --tls-key: client certificates are checked only over TLS');
    return undefined;
  }
  if (cert === undefined || key === undefined) throw new UsageError('--tls-cert and --tls-key go together: give both, or neither');
  return { cert: readFile('TLS certificate', cert), key: readFile('TLS key', key), ...(ca ? { ca: readFile('TLS CA', ca) } : {}) };
}

/** The tokens of disco.yaml with their files read; undefined when it lists none (then all is allowed). */
export function serverTokens(config: DiscoConfig, configFile: string | undefined): TokenGrant[] | undefined {
  if (!config.tokens) return undefined;
  const seen = new Set<string>();
  return config.tokens.map((entry, at) => {
    const where = entry.tokenFile === undefined ? `tokens.${at}` : besideConfig(entry.tokenFile, configFile);
    const token = entry.token ?? readFile('token', where).trim();
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new UserError(`the token in ${where} is shorter than ${MIN_TOKEN_LENGTH} characters (openssl rand -hex 16 makes one)`);
    }
    if (seen.has(token)) throw new UserError(`the token in ${where} is listed twice in disco.yaml's tokens`);
    seen.add(token);
    return { token, provide: entry.provide, require: entry.require };
  });
}

function besideConfig(path: string, configFile: string | undefined): string {
  return configFile ? resolve(dirname(configFile), path) : path;
}

function readFile(what: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `the ${what} file ${path} does not exist` : `cannot read the ${what} file ${path}: ${(error as Error).message}`,
    );
  }
}
