// publishAddresses (src/agent/advertise.ts): the host addresses an agent publishes ports on.

import { describe, expect, it } from 'vitest';
import { isHostAddress, publishAddresses } from '../../../src/agent/advertise.ts';

describe('publishAddresses', () => {
  it('is loopback and the advertised address when that is one of this host', () => {
    expect(publishAddresses('10.0.0.5', true)).toEqual({ on: ['127.0.0.1', '10.0.0.5'] });
    expect(publishAddresses('172.17.0.1', true)).toEqual({ on: ['127.0.0.1', '172.17.0.1'] });
  });

  it('is loopback alone when the advertised address is loopback', () => {
    expect(publishAddresses('127.0.0.1', true)).toEqual({ on: ['127.0.0.1'] });
  });

  it('is every interface, with the reason, when the advertised address is not this host (behind NAT)', () => {
    expect(publishAddresses('203.0.113.7', false)).toEqual({
      on: ['0.0.0.0'],
      reason: '203.0.113.7 is not an address of this host: published ports listen on every interface',
    });
  });

  it('asks the host whether it has an address by binding it for a moment', async () => {
    expect(await isHostAddress('127.0.0.1')).toBe(true);
    // TEST-NET-3 (RFC 5737): never an address of this host.
    expect(await isHostAddress('203.0.113.7')).toBe(false);
  });
});
