// Certificates made with Debian's openssl for the TLS tests: a CA, a server certificate for
// 127.0.0.1 and localhost (IP and DNS SANs), a client certificate, and a second CA with a client certificate of its own;
// and an etcd member's, which is a client's too (etcd's gateway dials its own gRPC port with it).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** The files the tests use: a CA, another CA, and a key pair each for the server, a client and a stranger. */
type CertificateName =
  | 'ca'
  | 'otherCa'
  | 'serverCert'
  | 'serverKey'
  | 'clientCert'
  | 'clientKey'
  | 'strangerCert'
  | 'strangerKey'
  | 'memberCert'
  | 'memberKey';

export interface Certificates {
  readonly dir: string;
  /** File paths, for the CLI. */
  readonly files: Record<CertificateName, string>;
  /** The same, as PEM text, for the classes. */
  readonly pem: Record<CertificateName, string>;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'].concat([
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-subj',
      `/CN=${name}`,
    ]),
  );
}

function makeSigned(dir: string, name: string, subject: string, extensions: string, ca = 'ca'): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    dir,
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ]),
  );
  openssl(
    dir,
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2'].concat([
      '-out',
      `${name}.pem`,
      '-extfile',
      `${name}.ext`,
    ]),
  );
}

export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'scs-tls-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeSigned(dir, 'server', '/CN=disco', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  makeSigned(dir, 'client', '/CN=agent', 'extendedKeyUsage=clientAuth\n');
  makeSigned(dir, 'stranger', '/CN=stranger', 'extendedKeyUsage=clientAuth\n', 'other-ca');
  makeSigned(dir, 'member', '/CN=etcd', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  const files = {
    ca: join(dir, 'ca.pem'),
    otherCa: join(dir, 'other-ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    strangerCert: join(dir, 'stranger.pem'),
    strangerKey: join(dir, 'stranger.key'),
    memberCert: join(dir, 'member.pem'),
    memberKey: join(dir, 'member.key'),
  };
  const read = (path: string) => readFileSync(path, 'utf8');
  const pem = {
    ca: read(files.ca),
    otherCa: read(files.otherCa),
    serverCert: read(files.serverCert),
    serverKey: read(files.serverKey),
    clientCert: read(files.clientCert),
    clientKey: read(files.clientKey),
    strangerCert: read(files.strangerCert),
    strangerKey: read(files.strangerKey),
    memberCert: read(files.memberCert),
    memberKey: read(files.memberKey),
  };
  return { dir, files, pem, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The certificates of one test file: made before its first test and removed after its last. The
 * object is filled in by then; read its fields inside tests and hooks, not when the file loads.
 */
export function certificatesForThisFile(): Certificates {
  const certificates = {} as { -readonly [K in keyof Certificates]: Certificates[K] };
  beforeAll(() => {
    Object.assign(certificates, makeCertificates());
  });
  afterAll(() => certificates.remove?.());
  return certificates;
}
