// A DNS root of our own, signed with fresh keys (ldnsutils), so that a validating resolver in a test
// builds its chain of trust as it would from the real root, without a packet leaving loopback.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SignedRoot {
  /** The signed zone, in zone-file text. */
  zone: string;
  /** The key-signing key's DS record data (`TAG ALGORITHM DIGEST-TYPE DIGEST`): the trust anchor. */
  ds: string;
}

/** A root zone whose only server, `a.root.`, is at `address`; it holds no top-level domain, `disco.` included. */
export function signedRoot(address: string): SignedRoot {
  const dir = mkdtempSync(join(tmpdir(), 'scs-root-'));
  try {
    writeFileSync(
      join(dir, 'root.zone'),
      [
        '.       3600 IN SOA a.root. hostmaster.root. 1 3600 600 86400 3600',
        '.       3600 IN NS  a.root.',
        `a.root. 3600 IN A   ${address}`,
        '',
      ].join('\n'),
    );
    const keygen = (...args: string[]) =>
      execFileSync('ldns-keygen', ['-a', 'ECDSAP256SHA256', ...args, '.'], { cwd: dir })
        .toString()
        .trim();
    const ksk = keygen('-k');
    const zsk = keygen();
    execFileSync('ldns-signzone', ['root.zone', ksk, zsk], { cwd: dir });
    const ds = readFileSync(join(dir, `${ksk}.ds`), 'utf8')
      .trim()
      .split(/\s+/)
      .slice(-4)
      .join(' ');
    return { zone: readFileSync(join(dir, 'root.zone.signed'), 'utf8'), ds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
