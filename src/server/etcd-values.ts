// What a disco server keeps in etcd (see etcd-registry.ts), as it reads it back.

import * as v from 'valibot';
import { AttributesSchema, HostSchema, NameSchema, PortSchema, ProtocolSchema } from '../protocol/fields.ts';
import type { RegistryReason } from '../reasons.ts';
import type { WatchEvent } from './etcd-wire.ts';

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
