// Where the HTTP listener listens (`--http`, disco.yaml's `http:`), and the rule it shares with the
// protocol: beyond loopback, tokens or `--insecure`; otherwise one sentence and exit 2.

import { describe, expect, it } from 'vitest';
import { EXIT, UsageError } from '../../src/errors.ts';
import { httpAddress } from '../../src/http/settings.ts';
import type { DiscoConfig } from '../../src/server/config.ts';
import { discoConfig } from '../../src/server/disco-config.ts';

const file = (config: DiscoConfig) => ({ path: '/etc/scs/disco.yaml', config });
const tokens = [{ token: 'inline-token-0123456789', provide: [], require: [], observe: ['*.*.*.*'], place: [] }];

describe('the HTTP listener of scs disco', () => {
  it('is off unless asked for, by the flag or by disco.yaml, the flag winning', () => {
    expect(discoConfig({}).http).toBeUndefined();
    expect(discoConfig({ http: '127.0.0.1:9641' }).http).toEqual({ host: '127.0.0.1', port: 9641 });
    expect(discoConfig({}, file({ http: { host: '127.0.0.1', port: 9100 } })).http).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(discoConfig({ http: '[::1]:0' }, file({ http: { host: '127.0.0.1', port: 9100 } })).http).toEqual({ host: '::1', port: 0 });
  });

  it('refuses an address beyond loopback without tokens, in one sentence with exit 2, unless told --insecure', () => {
    const refusal =
      'the HTTP listener will not listen on 0.0.0.0:9641 without tokens, as anyone who reaches it could read what runs where (give disco tokens, see docs/observe.md, or say --insecure)';
    expect(() => discoConfig({ http: '0.0.0.0:9641' })).toThrow(new UsageError(refusal));
    try {
      discoConfig({}, file({ http: { host: '10.0.0.5', port: 9641 } }));
      expect.unreachable();
    } catch (error) {
      expect((error as UsageError).exitCode).toBe(EXIT.usage);
      expect((error as Error).message).toMatch(/^the HTTP listener will not listen on 10\.0\.0\.5:9641 without tokens/);
    }
    expect(discoConfig({ http: '0.0.0.0:9641', insecure: true }).http).toEqual({ host: '0.0.0.0', port: 9641 });
    expect(discoConfig({ http: '0.0.0.0:9641' }, file({ tokens })).http).toEqual({ host: '0.0.0.0', port: 9641 });
  });

  it('names the flag of a bad address', () => {
    expect(() => discoConfig({ http: 'nowhere' })).toThrow(/^--http: "nowhere" is not an address/);
  });

  it("names the agent's own flag when the agent's listener is refused", () => {
    const policy = { tokens: false, insecure: false, insecureFlag: '--http-insecure', tokensHint: 'it has no tokens' };
    expect(() => httpAddress('192.168.1.4:9642', undefined, policy)).toThrow(/\(it has no tokens, or say --http-insecure\)$/);
    expect(httpAddress('192.168.1.4:9642', undefined, { ...policy, insecure: true })).toEqual({ host: '192.168.1.4', port: 9642 });
    expect(httpAddress(undefined, undefined, policy)).toBeUndefined();
  });
});
