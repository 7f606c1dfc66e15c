import { describe, expect, it } from 'vitest';
import { configHash } from '../../../src/agent/config-hash.ts';
import type { ContainerSpec } from '../../../src/agent/container-engine.ts';

const base = (): ContainerSpec => ({
  name: 'scs-shop-test-web',
  image: 'scs/shop-web:0123456789abcdef',
  env: {
    GREETING: 'hi',
    SCS_SERVICE: 'web',
    SCS_REQUIRE_DB: '10.0.0.1:3306',
    SCS_REQUIRE_DB_HOST: '10.0.0.1',
    SCS_REQUIRE_DB_PORT: '3306',
  },
  labels: { 'scs.stack': 'shop', 'scs.environment': 'test', 'scs.service': 'web' },
  publish: { '8080/tcp': '' },
  network: 'bridge',
  restart: 'no',
  mounts: [{ type: 'volume', source: 'shop-test-web-data', target: '/data' }],
});

describe('configHash decides which changes need a new container', () => {
  const changes: Array<[string, (spec: ContainerSpec) => void]> = [
    ['the image', (s) => (s.image = 'scs/shop-web:fedcba9876543210')],
    ['the container name', (s) => (s.name = 'scs-shop-prod-web')],
    ['an environment value', (s) => (s.env.GREETING = 'hello')],
    ['a new environment variable', (s) => (s.env.DEBUG = '1')],
    ['a label', (s) => (s.labels['scs.service'] = 'api')],
    ['a published port', (s) => (s.publish['8080/tcp'] = '8080')],
    ['the network', (s) => (s.network = 'host')],
    ['the stack network', (s) => (s.networkName = 'scs-shop-test-host-1')],
    ['the resolver', (s) => (s.dns = { servers: ['172.18.0.1'], search: ['shop.test.disco'], options: ['ndots:2'] })],
    ['the restart policy', (s) => (s.restart = 'always')],
    ['a mount', (s) => (s.mounts[0]!.target = '/var/data')],
  ];
  for (const [what, change] of changes) {
    it(`changes with ${what}`, () => {
      const spec = base();
      change(spec);
      expect(configHash(spec)).not.toBe(configHash(base()));
    });
  }

  it('does not change when a required endpoint moves: a live update applies that', () => {
    const spec = base();
    spec.env.SCS_REQUIRE_DB = '10.0.0.2:3306;10.0.0.3:3306';
    spec.env.SCS_REQUIRE_DB_HOST = '10.0.0.2';
    spec.env.SCS_REQUIRE_CACHE = '';
    expect(configHash(spec)).toBe(configHash(base()));
  });

  it('does not depend on key order, nor on the label that carries it', () => {
    const spec = base();
    spec.env = Object.fromEntries(Object.entries(spec.env).reverse());
    spec.labels = { ...Object.fromEntries(Object.entries(spec.labels).reverse()), 'scs.config-hash': 'anything' };
    expect(configHash(spec)).toBe(configHash(base()));
    expect(configHash(base())).toMatch(/^[0-9a-f]{16}$/);
  });
});
