// How disco reaches etcd (docs/ha.md): its members' URLs and, for a cluster that checks who asks,
// the CA, client certificate and key, and a user with a password file. Pure: disco.yaml's `etcd`
// and the `--etcd*` flags merged into one setting, paths resolved, nothing read.

import { dirname, resolve } from 'node:path';
import * as v from 'valibot';
import { UsageError } from '../errors.ts';
import { describeIssues } from '../protocol/fields.ts';

/** An etcd member's client URL, as etcd's `--advertise-client-urls` gives it. */
export const EtcdUrl = v.pipe(
  v.string('expected a URL like http://127.0.0.1:2379'),
  v.regex(/^https?:\/\/[^/\s]+$/, 'expected a URL like http://127.0.0.1:2379 (scheme, host and port, no path)'),
);

const EtcdUrls = v.pipe(v.array(EtcdUrl, 'expected a list of etcd URLs'), v.minLength(1, 'expected at least one etcd URL'));
const FilePath = v.pipe(v.string('expected a file path'), v.minLength(1, 'expected a file path'));

const EtcdAccessConfig = v.strictObject(
  {
    endpoints: EtcdUrls,
    ca: v.optional(FilePath),
    cert: v.optional(FilePath),
    key: v.optional(FilePath),
    user: v.optional(v.pipe(v.string('expected a user name'), v.minLength(1, 'expected a user name'))),
    passwordFile: v.optional(FilePath),
  },
  'expected a list of etcd URLs, or { endpoints, ca, cert, key, user, passwordFile }',
);

/** disco.yaml's `etcd`: a list of URLs, or the URLs with what proves this server to etcd. */
export const EtcdConfigSchema = v.lazy((input) => (Array.isArray(input) ? EtcdUrls : EtcdAccessConfig));

export interface EtcdFlags {
  etcd?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdUser?: string;
  etcdPasswordFile?: string;
}

export interface EtcdSettings {
  readonly endpoints: readonly string[];
  /** PEM files: the CA the members' certificates are signed by, and this server's client certificate. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** etcd's auth: the user, and the file holding its password. */
  readonly user?: string;
  readonly passwordFile?: string;
}

/** The flags over disco.yaml's `etcd` (its paths beside `configFile`); undefined keeps the registry in memory. */
export function etcdSettings(
  flags: EtcdFlags,
  config: v.InferOutput<typeof EtcdUrls> | v.InferOutput<typeof EtcdAccessConfig> | undefined,
  configFile: string | undefined,
): EtcdSettings | undefined {
  const file = Array.isArray(config) ? { endpoints: config } : config;
  const beside = (path: string | undefined) => (path === undefined || !configFile ? path : resolve(dirname(configFile), path));
  const endpoints = flags.etcd ? etcdUrls(String(flags.etcd)) : file?.endpoints;
  const chosen = {
    ca: flags.etcdCa ?? beside(file?.ca),
    cert: flags.etcdCert ?? beside(file?.cert),
    key: flags.etcdKey ?? beside(file?.key),
    user: flags.etcdUser ?? file?.user,
    passwordFile: flags.etcdPasswordFile ?? beside(file?.passwordFile),
  };
  const given = Object.fromEntries(Object.entries(chosen).filter(([, value]) => value !== undefined));
  if (!endpoints) {
    if (Object.keys(given).length > 0)
      throw new UsageError('--etcd-ca, --etcd-cert, --etcd-key, --etcd-user and --etcd-password-file need --etcd');
    return undefined;
  }
  if ((chosen.cert === undefined) !== (chosen.key === undefined))
    throw new UsageError('--etcd-cert and --etcd-key go together: give both, or neither');
  if ((chosen.user === undefined) !== (chosen.passwordFile === undefined)) {
    throw new UsageError('--etcd-user and --etcd-password-file go together: give both, or neither');
  }
  if ((chosen.ca !== undefined || chosen.cert !== undefined) && endpoints.some((url) => !url.startsWith('https://'))) {
    throw new UsageError('--etcd-ca and --etcd-cert are for TLS: give etcd URLs that start with https://');
  }
  return { endpoints, ...given };
}

function etcdUrls(text: string): string[] {
  const parsed = v.safeParse(v.array(EtcdUrl), text.split(','));
  if (!parsed.success) throw new UsageError(`--etcd: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}
