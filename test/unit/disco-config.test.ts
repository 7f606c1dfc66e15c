// disco.yaml is checked at the edge like the manifests: every mistake names the file, the line,
// the key path and what was expected, at the top level as well as below it.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadYamlFile } from '../../src/config/yaml.ts';
import { DiscoConfigSchema } from '../../src/server/config.ts';

function load(text: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'scs-disco-config-')), 'disco.yaml');
  writeFileSync(file, text);
  return () => loadYamlFile(file, DiscoConfigSchema);
}

describe('disco.yaml', () => {
  it('reads a full config', () => {
    const config = load(
      'listen: 127.0.0.1:9640\nheartbeat: { interval: 1s, timeout: 3s }\ngrace: 10s\ndns:\n  listen: "off"\n  negativeTtl: 1s\n  tombstone: 30s\n  zones:\n    - name: disco\n',
    )();
    expect(config).toEqual({
      listen: { host: '127.0.0.1', port: 9640 },
      heartbeat: { interval: 1000, timeout: 3000 },
      grace: 10_000,
      dns: { listen: 'off', negativeTtl: 1000, tombstone: 30_000, zones: [{ name: 'disco' }] },
    });
  });

  it.each([
    ['an unknown top-level key', 'listen: 127.0.0.1:9640\ngrase: 10s\n', /disco\.yaml:2 grase: unknown key \(did you mean "grace"\?\)$/],
    ['an unknown top-level key with nothing like it', 'upstream: 127.0.0.1:53\n', /disco\.yaml:1 upstream: unknown key$/],
    [
      'an unknown key under heartbeat',
      'heartbeat:\n  interval: 1s\n  timout: 3s\n',
      /disco\.yaml:3 heartbeat\.timout: unknown key \(did you mean "timeout"\?\)$/,
    ],
    [
      'an unknown key in a zone',
      'dns:\n  zones:\n    - name: disco\n      filtr: { az: a }\n',
      /disco\.yaml:4 dns\.zones\.0\.filtr: unknown key \(did you mean "filter"\?\)$/,
    ],
    ['a list at the top level', '- listen: 127.0.0.1:9640\n', /disco\.yaml: expected keys and values at the top level, found a list$/],
    [
      'text at the top level',
      'listen 127.0.0.1:9640\n',
      /disco\.yaml: expected keys and values at the top level, found the text "listen 127\.0\.0\.1:9640"$/,
    ],
  ])('refuses %s', (_, text, message) => {
    expect(load(text)).toThrow(message);
  });
});
