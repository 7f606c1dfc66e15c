// The CLI's refusals of bad files, end to end: a real `scs` process, no Docker daemon needed
// (so these run where the Docker tests are skipped).

import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scs } from '../helpers/cli.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('scs refuses bad files, naming the file, the line and the key', () => {
  it('compile: a bad manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scs-hello-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    writeFileSync(
      join(dir, 'bad.yaml'),
      ['services:', '  client:', '    requires:', '      http: { service: "Web Server" }', ''].join('\n'),
    );
    const bad = scs(['compile', '-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'bad.yaml')]);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr).toMatch(/bad\.yaml:4 services\.client\.requires\.http\.service: expected a name like "db"/);
  });

  it('disco: an unknown key at the top of disco.yaml', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'scs-disco-')), 'disco.yaml');
    writeFileSync(file, 'listen: 127.0.0.1:0\nheartbeet: { interval: 1s }\n');
    const bad = scs(['disco', '--config', file, '--dns', 'off']);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr).toMatch(/disco\.yaml:2 heartbeet: unknown key \(did you mean "heartbeat"\?\)/);
  });

  // Each key's line was counted from the start of the file, so a 470 KB file took 35 s and this
  // 1 MB one minutes; read in one pass, it takes well under a second. The bound is only against that.
  it('compile: an error at the end of a 1 MB stack file, named in one pass', async () => {
    const services = 20_000;
    const dir = mkdtempSync(join(tmpdir(), 'scs-large-'));
    const body = Array.from({ length: services }, (_, i) => `  s${i}:\n    image: ./img\n    config: { N: "${i}" }\n`).join('');
    writeFileSync(join(dir, 'scs-stack.yaml'), `name: big\nenvironment: dev\nservices:\n${body}  bad:\n    image: ./img\n    bogus: 1\n`);
    const bad = scs(['compile', '-f', join(dir, 'scs-stack.yaml')]);
    expect(await bad.exited, bad.stderr).toBe(1);
    expect(bad.stderr).toContain(`scs-stack.yaml:${4 + services * 3 + 2} services.bad.bogus: unknown key`);
  }, 90_000);
});
