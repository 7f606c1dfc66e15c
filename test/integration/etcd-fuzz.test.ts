// The values disco reads back from etcd, fuzzed the way protocol-fuzz fuzzes the wire: seeded (replay
// a failure with FUZZ_SEED=n; FUZZ_KEYS shortens it), every field of a provision and a session key given
// every JSON type, the prototype keys, and keys that are not disco's. Written straight into a real
// etcd under a lease, as anyone who can write there could: disco keeps serving, and what a subscribed
// client and DNS receive is only what a client could have provided.

import { isIP } from 'node:net';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { HostSchema } from '../../src/protocol/fields.ts';
import { EtcdBackend } from '../../src/server/etcd-backend.ts';
import { EtcdClient } from '../../src/server/etcd-client.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { dig, startDns } from '../helpers/dns.ts';
import { ETCD, EtcdCluster } from '../helpers/etcd-cluster.ts';
import { KINDS, type Kind, mulberry32, PROTOTYPE_KEYS } from '../helpers/fuzz.ts';
import { recordingLogger } from '../helpers/logging.ts';
import { eventually } from '../helpers/wait.ts';
import { type Message, WirePeer } from '../helpers/wire.ts';

const KEYS = Number(process.env.FUZZ_KEYS ?? 600);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** A provision as disco writes it, field by field, with each field's kind. */
const PROVISION: Array<[string, unknown, Kind]> = [
  ['session', 'fuzzsession', 'string'],
  ['key', 'k1', 'string'],
  ['host', '10.0.0.1', 'string'],
  ['port', 80, 'number'],
  ['protocol', 'tcp', 'string'],
  ['attrs', { az: 'a' }, 'object'],
];
const SESSION: Array<[string, unknown, Kind]> = [
  ['lease', 'LEASE', 'string'],
  ['server', 'elsewhere', 'string'],
  ['client', 'fuzz', 'string'],
  ['owner', '', 'string'],
];

class Fuzzer {
  private readonly random: () => number;
  constructor(seedValue: number) {
    this.random = mulberry32(seedValue);
  }

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  text(): string {
    const alphabet = 'abcXYZ019 ._-*"\\/☃é\u0000\u001f\n{}[]:,=;$`\'';
    return Array.from({ length: this.int(14) }, () => alphabet[this.int(alphabet.length)]).join('');
  }

  value(kind: Kind, depth = 0): unknown {
    switch (kind) {
      case 'null':
        return null;
      case 'boolean':
        return this.random() < 0.5;
      case 'number':
        return this.pick([0, 1, -1, 65535, 65536, 3.25, 1e308, -(2 ** 53), this.int(1e6)]);
      case 'string':
        return this.pick([this.text(), '10.0.0.1"\nSCS_X=1', 'fd00::1', 'a'.repeat(300), '', '0', ...PROTOTYPE_KEYS]);
      case 'array':
        return depth > 1 ? [] : Array.from({ length: this.int(3) }, () => this.value(this.pick(KINDS), depth + 1));
      case 'object':
        return depth > 1
          ? {}
          : Object.fromEntries(
              Array.from({ length: this.int(3) }, () => [
                this.random() < 0.3 ? this.pick(PROTOTYPE_KEYS) : this.text(),
                this.value(this.pick(KINDS), depth + 1),
              ]),
            );
    }
  }

  /** A value built from `fields`: each one kept, given another kind, dropped, or joined by an unknown or prototype key. */
  record(fields: Array<[string, unknown, Kind]>, lease: string): string {
    const parts: string[] = [];
    for (const [name, good, kind] of fields) {
      const roll = this.int(8);
      if (roll === 0) continue;
      const value = roll === 1 ? this.value(this.pick(KINDS.filter((k) => k !== kind))) : roll === 2 ? this.value(kind) : good;
      parts.push(`${JSON.stringify(name)}:${JSON.stringify(value === 'LEASE' ? lease : value)}`);
    }
    if (this.int(4) === 0) parts.push(`${JSON.stringify(this.pick(PROTOTYPE_KEYS))}:${JSON.stringify(this.value(this.pick(KINDS)))}`);
    const roll = this.int(20);
    if (roll === 0) return this.text();
    if (roll === 1) return JSON.stringify(this.value(this.pick(KINDS)));
    return `{${parts.join(',')}}`;
  }

  /** A key under the prefix: mostly a provision's or a session's, some malformed. */
  key(at: number): { key: string; provision: boolean } {
    const roll = this.int(10);
    const name = this.pick([
      'http.web.fuzz.test',
      'db.web.fuzz.test',
      `x${at}.web.fuzz.test`,
      this.text(),
      'a.b',
      '*.web.fuzz.test',
      '__proto__',
    ]);
    const id = this.pick([`f${at}`, `f${at}`, `f${at}`, this.text(), '__proto__', '']);
    if (roll < 7) return { key: `/scs/p/${name}/${id}`, provision: true };
    if (roll < 9) return { key: `/scs/s/${this.pick([`s${at}`, this.text(), '__proto__', 'constructor'])}`, provision: false };
    return { key: `/scs/${this.text()}`, provision: false };
  }
}

const Endpoint = v.object({ host: HostSchema, port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)) });

describe.skipIf(!ETCD)(
  `etcd values, fuzzed (FUZZ_SEED=${seed})${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`,
  { timeout: 120_000 },
  () => {
    it('keeps serving, and lets nothing malformed reach a subscriber or DNS', async () => {
      const cluster = await EtcdCluster.start(1);
      onCleanup(() => cluster.stop());
      const log = recordingLogger();
      const backend = new EtcdBackend(new EtcdClient(cluster.urls), { prefix: '/scs/', ttlMs: 5000, logger: log.logger });
      const server = await startDisco({ heartbeatInterval: 500, heartbeatTimeout: 2000, grace: 3000, backend, logger: log.logger });
      onCleanup(() => server.close());
      const dns = await startDns(server.registry);
      onCleanup(() => dns.server.close());
      const subscriber = await WirePeer.open(server.address().port);
      onCleanup(() => subscriber.destroy());
      const ping = setInterval(() => subscriber.send({ op: 'ping' }), 500);
      onCleanup(() => clearInterval(ping));
      await subscriber.request({ op: 'hello', id: 1, version: 1 });
      expect(await subscriber.request({ op: 'require', id: 2, name: '*.web.fuzz.test' })).toMatchObject({ ok: true });

      const fuzz = new Fuzzer(seed);
      const writer = new EtcdClient(cluster.urls);
      onCleanup(() => writer.close());
      const lease = await writer.grant(60);
      for (let at = 0; at < KEYS; at++) {
        const { key, provision } = fuzz.key(at);
        const value = fuzz.record(provision ? PROVISION : SESSION, lease);
        // Some without a lease: etcd would keep them for good.
        void writer.put(key, value, fuzz.int(10) === 0 ? '0' : lease).catch(() => {});
      }
      await writer.put(
        '/scs/p/last.web.fuzz.test/zz',
        JSON.stringify({ session: 's', host: '10.0.0.9', port: 9, protocol: 'tcp', attrs: {} }),
        lease,
      );
      await eventually(() => server.registry.lookup('last.web.fuzz.test').length === 1, 30_000, 'disco to mirror the last key');

      // What the registry serves, every subscriber push, and DNS: only what the wire would have taken.
      for (const provision of server.registry.list()) {
        expect(v.is(Endpoint, provision.address), JSON.stringify(provision)).toBe(true);
        expect(Object.getPrototypeOf(provision.attributes)).toBe(Object.prototype);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      await eventually(
        () => subscriber.messages.some((m) => JSON.stringify(m).includes('10.0.0.9')),
        10_000,
        'the subscriber to hear of the last key',
      );
      const endpoints = subscriber.messages.flatMap((m: Message) => [...(m.endpoints ?? []), ...(m.add ?? [])]);
      for (const endpoint of endpoints) expect(v.is(Endpoint, endpoint), JSON.stringify(endpoint)).toBe(true);
      for (const name of ['_http._tcp.web.fuzz.test.disco', '_last._tcp.web.fuzz.test.disco']) {
        expect(['NOERROR', 'NXDOMAIN']).toContain((await dig(dns.port, name, 'SRV')).status);
      }
      const srv = await dig(dns.port, '_last._tcp.web.fuzz.test.disco', 'SRV');
      expect(srv.status).toBe('NOERROR');
      for (const line of srv.additional) expect(isIP(line.split(' ').at(-1)!)).not.toBe(0);
      // Disco still takes a client's provide, and nothing made it log more than a warning a key.
      const provider = await WirePeer.open(server.address().port);
      onCleanup(() => provider.destroy());
      await provider.request({ op: 'hello', id: 1, version: 1 });
      expect(await provider.request({ op: 'provide', id: 2, name: 'ok.web.fuzz.test', host: '10.0.0.3', port: 3 })).toMatchObject({
        ok: true,
      });
      // One warning a bad write at most (a key written twice is two), and each says which key it skipped.
      const warnings = log.lines('warn');
      expect(warnings.length).toBeLessThanOrEqual(KEYS);
      expect(warnings.filter((line) => !line.startsWith('etcd: skipping "/scs/'))).toEqual([]);
      expect(log.logged(/watch lost|TypeError/)).toBe(false);
    });
  },
);
