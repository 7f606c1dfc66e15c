import type { RegistryReason } from '../reasons.ts';

export type Protocol = 'tcp' | 'udp';

export interface Address {
  readonly host: string;
  readonly port: number;
  readonly protocol: Protocol;
}

export type Attributes = Readonly<Record<string, string>>;

/** One endpoint a session provides. `name` is canonical (see src/names.ts). */
export interface Provision {
  readonly id: string;
  readonly name: string;
  readonly address: Address;
  readonly attributes: Attributes;
  readonly owner: string;
}

/** Attribute key → exact value or a `*` glob; every key must be present and match. */
export type AttributeFilter = Readonly<Record<string, string>>;

export interface Requirement {
  readonly id: string;
  readonly name: string;
  readonly filter: AttributeFilter;
  readonly owner: string;
}

export interface Change {
  readonly requirement: Requirement;
  readonly kind: 'add' | 'drop';
  readonly provision: Provision;
}

/** Why a provision was added or dropped, and by whose session (its client name), when known: for events and logs. */
export interface Cause {
  readonly reason: RegistryReason;
  readonly client?: string | undefined;
}
