import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/cleanup.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { dig } from '../helpers/dns.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

function start(args: string[]): Running {
  const process = scs(args);
  onCleanup(() => process.child.kill('SIGKILL'));
  return process;
}

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'scs-disco-')), 'disco.yaml');
  writeFileSync(file, text);
  return file;
}

describe('scs disco', () => {
  it('serves the registry over DNS, from a config file with a tag-filtered zone', async () => {
    const config = configFile(
      [
        'dns:',
        '  ttl: 30s',
        '  negativeTtl: 2s',
        '  tombstone: 30s',
        '  zones:',
        '    - name: disco',
        '    - name: east.disco',
        '      filter: { az: "us-east-*" }',
        '',
      ].join('\n'),
    );
    const disco = start(['disco', '--config', config, '--listen', '127.0.0.1:0', '--dns', '127.0.0.1:0', '--dns-tombstone', '0']);
    const output = () => disco.stdout + disco.stderr;
    const tcpPort = Number(await eventually(() => /listening on tcp 127\.0\.0\.1:(\d+)/.exec(output())?.[1], 15_000, 'disco to listen'));
    const dnsPort = Number(
      await eventually(() => /dns on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(output())?.[1], 15_000, `dns to listen; disco said: ${output()}`),
    );

    const east = start(['provide', 'mysql.db.blog.prod', '10.0.0.5:3306', '--attr', 'az=us-east-1a', '--disco', `127.0.0.1:${tcpPort}`]);
    start(['provide', 'mysql.db.blog.prod', '10.0.0.6:3306', '--attr', 'az=eu-west-1a', '--disco', `127.0.0.1:${tcpPort}`]);
    await eventually(() => east.stdout.includes('providing'), 15_000, 'the provider');

    const all = await eventuallyAsync(
      async () => {
        const r = await dig(dnsPort, 'db.blog.prod.disco', 'A');
        return r.answer.length === 2 ? r : undefined;
      },
      15_000,
      'both addresses',
    );
    expect(all.answer).toEqual(['db.blog.prod.disco. 30 IN A 10.0.0.5', 'db.blog.prod.disco. 30 IN A 10.0.0.6']);
    expect((await dig(dnsPort, 'db.blog.prod.east.disco', 'A')).answer).toEqual(['db.blog.prod.east.disco. 30 IN A 10.0.0.5']);

    // A clean goodbye: gone from the very next answer once disco has it; the name too, as the flag turned
    // the file's tombstone off.
    east.child.kill('SIGINT');
    expect(await east.exited).toBe(0);
    const gone = await dig(dnsPort, 'db.blog.prod.east.disco', 'A');
    expect(gone.status).toBe('NXDOMAIN');
    expect(gone.authority[0]).toMatch(/^east\.disco\. 2 IN SOA .* 2$/);

    disco.child.kill('SIGTERM');
    expect(await disco.exited).toBe(0);
  });

  it.each([
    [
      'dns:\n  zones:\n    - name: disco\n      filtr: { az: x }\n',
      /disco\.yaml:4 dns\.zones\.0\.filtr: unknown key \(did you mean "filter"\?\)/,
    ],
    ['dns:\n  ttl: soon\n', /disco\.yaml:2 dns\.ttl: "soon" is not a duration/],
    ['dns:\n  tombstone: soon\n', /disco\.yaml:2 dns\.tombstone: "soon" is not a duration/],
    ['dns:\n  recursors: ["8.8.8.8"]\n', /disco\.yaml:2 dns\.recursors\.0: "8\.8\.8\.8" is not an address/],
    ['listen: [1, 2\n', /disco\.yaml:\d+: not valid YAML/],
  ])('refuses a bad config with the file, line and key: %j', async (text, message) => {
    const disco = start(['disco', '--config', configFile(text), '--listen', '127.0.0.1:0', '--dns', '127.0.0.1:0']);
    expect(await disco.exited).toBe(1);
    expect(disco.stderr).toMatch(message);
  });

  it('refuses to listen beyond loopback without tokens (exit 2, one sentence), and with --insecure starts and warns', async () => {
    // Port 0 and no DNS: nothing answers on 0.0.0.0 past the refusal, and the insecure run is killed once it has warned.
    const refused = start(['disco', '--listen', '0.0.0.0:0', '--dns', 'off']);
    expect(await refused.exited).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/disco will not listen on 0\.0\.0\.0:0 without tokens, as anyone who reaches it could provide any name/),
    ]);
    expect(refused.stdout).toBe('');

    const insecure = start(['disco', '--listen', '0.0.0.0:0', '--dns', 'off', '--insecure']);
    // The warning goes to stderr after "listening" reaches stdout; two pipes, so wait for the warning itself.
    await eventually(() => insecure.stderr.includes('insecure: anyone who reaches'), 10_000, 'disco to warn');
    expect(`${insecure.stdout}${insecure.stderr}`).toMatch(
      /insecure: anyone who reaches 0\.0\.0\.0:\d+ may provide any name \(no tokens; --insecure\)/,
    );
    insecure.child.kill('SIGTERM');
    expect(await insecure.exited).toBe(0);
  });
});
