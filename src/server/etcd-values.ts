// What a disco server keeps in etcd (see etcd-registry.ts), as it reads it back.

import * as v from 'valibot';
import { AttributesSchema, describeIssues, HostSchema, NameSchema, PortSchema, ProtocolSchema } from '../protocol/fields.ts';
import type { RegistryReason } from '../reasons.ts';
import type { ProvideInput } from '../registry/registry.ts';
import type { KeyValue, WatchEvent } from './etcd-wire.ts';

// What etcd holds is read back with the wire's own rules: anyone who can write to etcd is one more
// client, and nothing a client could not send reaches the registry, DNS or a subscriber.
export const Ident = v.pipe(v.string('expected an identifier'), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected an identifier'));
const Lease = v.pipe(v.string('expected a lease'), v.regex(/^[1-9][0-9]{0,19}$/, 'expected a lease'));
export const SessionValue = v.object({
  lease: Lease,
  server: Ident,
  client: v.optional(v.pipe(v.string(), v.maxLength(128)), ''),
  /** Who opened it (ownerOf the hello's token): only the same token may resume it. */
  owner: v.optional(v.pipe(v.string(), v.regex(/^([0-9a-f]{64})?$/, 'expected a token digest')), ''),
});
export const ProvisionValue = v.object({
  session: Ident,
  key: v.optional(Ident),
  host: HostSchema,
  port: PortSchema,
  protocol: ProtocolSchema,
  attrs: AttributesSchema,
});
/** `<name>/<provision>`: a name as the wire takes it (made canonical), and an identifier. */
export const ProvisionKey = v.pipe(
  v.string(),
  v.transform((rest) => rest.split('/')),
  v.strictTuple([NameSchema, Ident], 'expected <name>/<provision id>'),
  v.transform(([name, id]) => ({ name, id })),
);

/** A provision as etcd holds it, as the registry is given it, with the client's key for it. */
export type StoredProvision = ProvideInput & { readonly id: string; readonly key: string | undefined };

/**
 * The provision a key and its value hold, checked as a client's provide is, or why it holds none.
 * `at` is where `<name>/<id>` starts in the key. (A server's own write is not read back: its input
 * was checked as the client sent it.)
 */
export function readProvision(kv: KeyValue, at: number): StoredProvision | string {
  const where = v.safeParse(ProvisionKey, kv.key.slice(at));
  if (!where.success) return describeIssues(where.issues);
  const json = safeJson(kv.value);
  if (json === undefined) return 'its value is not JSON';
  const parsed = v.safeParse(ProvisionValue, json);
  if (!parsed.success) return describeIssues(parsed.issues);
  // A key etcd keeps for good would outlive every session: only a lease's keys are served.
  if (kv.lease === '0') return 'it has no lease';
  const { name, id } = where.output;
  const { session, key, host, port, protocol, attrs } = parsed.output;
  return { id, name, address: { host, port, protocol }, attributes: attrs, owner: session, key };
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A store's records kept under one folder of the prefix, without a lease (placements, instances). */
export interface KeyMirror {
  /** The folder under the prefix, with its slash: `placement/`. */
  readonly dir: string;
  /** Applies one event on a key of the folder; returns why it was skipped, if it was. */
  apply(event: WatchEvent, reasonOf?: (session: string) => RegistryReason): string | undefined;
  /** The etcd keys mirrored, so that a full read without one lets it go. */
  mirrored(): Iterable<string>;
}
