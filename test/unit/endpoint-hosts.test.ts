// Issue 26 §16: where endpoints become a program's environment, a host that is neither an IP
// address nor a DNS name is left out, whatever let it through.

import { describe, expect, it } from 'vitest';
import { requireEnv } from '../../src/agent/env.ts';
import { withValidHosts } from '../../src/client/endpoint-hosts.ts';

describe('SCS_REQUIRE_* and hosts', () => {
  it('leaves out a host with a quote and a newline, and names the first valid one', () => {
    const env = requireEnv('db', [
      { host: 'db"\nSCS_REQUIRE_X=evil', port: 5432 },
      { host: '1.2.3', port: 5432 },
      { host: '10.0.0.6', port: 5433 },
    ]);
    expect(env).toEqual({ SCS_REQUIRE_DB: '10.0.0.6:5433', SCS_REQUIRE_DB_HOST: '10.0.0.6', SCS_REQUIRE_DB_PORT: '5433' });
  });

  it('gives empty values when no host is valid', () => {
    expect(requireEnv('db', [{ host: 'a b', port: 1 }])).toEqual({ SCS_REQUIRE_DB: '', SCS_REQUIRE_DB_HOST: '', SCS_REQUIRE_DB_PORT: '' });
  });
});

describe('withValidHosts', () => {
  it('keeps valid hosts in order and warns once for each one left out', () => {
    const warnings: string[] = [];
    const endpoints = [
      { name: 'a.b.c.d', host: '10.0.0.1' },
      { name: 'a.b.c.d', host: '10.0.0.01' },
      { name: 'a.b.c.d', host: 'db.example' },
    ];
    expect(withValidHosts(endpoints, (message) => warnings.push(message))).toEqual([endpoints[0], endpoints[2]]);
    expect(warnings).toEqual([
      'disco sent an endpoint of a.b.c.d whose host "10.0.0.01" is not an IP address or a DNS name; leaving it out',
    ]);
  });
});
