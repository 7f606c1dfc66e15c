// Where the server keeps its sessions' provisions: in its own memory (one server), or in etcd,
// shared by several servers (docs/ha.md). The session code asks this one interface and never
// which store is behind it; a store that must wait (etcd) answers with a promise.

import type { Instances, InstancesEdit, Setter } from '../protocol/instances.ts';
import type { Place, Placement } from '../protocol/placement.ts';
import type { RegistryReason } from '../reasons.ts';
import type { ProvideInput, Registry } from '../registry/registry.ts';
import type { Cause, Change } from '../registry/types.ts';
import type { InstancesBook } from './instances-book.ts';
import type { MemberBook, StoredMember } from './member-book.ts';
import type { PlacementBook, Placer } from './placement-book.ts';

/** An answer now (memory), or once the store has it (etcd). */
export type Outcome<T> = T | Promise<T>;

/** What the backend tells the server unasked. */
export interface BackendHooks {
  /** The registry changed from outside this server's requests (another server, through etcd): fan these out. */
  changes(changes: Change[]): void;
  /** A session this server holds was taken away (its lease ended in etcd, or it was resumed on another server). */
  sessionGone(session: string, reason: RegistryReason): void;
  /** Another disco server sharing the store was first seen holding a session (`joined`), or holds none any more. */
  presence?(server: string, joined: boolean): void;
  /** Where the store's members are kept: this server's sessions' (memory), or every server's (etcd). A new book when absent. */
  readonly members?: MemberBook;
  /** Where the store's placements are kept, as members are: in this server's memory, or mirrored from etcd. A new book when absent. */
  readonly placements?: PlacementBook;
  /** Where the store's instances records are kept, as placements are. A new book when absent. */
  readonly instances?: InstancesBook;
}

/** A provision a session holds, with the client's key for it. */
export interface HeldProvision {
  readonly id: string;
  readonly key: string | undefined;
}

export interface OpenedSession {
  readonly id: string;
  /** Set when the session was adopted from another server: the provisions it holds; a new session holds none. */
  readonly adopted: readonly HeldProvision[] | undefined;
}

export interface Provided {
  readonly id: string;
  readonly changes: Change[];
}

export interface Backend {
  /** Names this server in what it stores and in its events; a store of its own (memory) has none to give. */
  readonly serverId?: string;
  /** Keeps `registry` as the store's view; called once, before any session opens. */
  start(registry: Registry, hooks: BackendHooks): Promise<void>;
  stop(): void;
  /**
   * A new session, or `requested` adopted if the store still holds it for another server and `owner`
   * (ownerOf the hello's token) is the one that opened it.
   */
  open(requested: string | undefined, client: string, owner: string): Outcome<OpenedSession>;
  /** Stores a provision of `input.owner`'s, under the client's key; `cause` names the client, for events. */
  provide(input: ProvideInput, key: string | undefined, cause?: Cause): Outcome<Provided>;
  /** Drops one provision (a client's unprovide, unless `cause` says otherwise); if this fails, the provision is still stored. */
  drop(id: string, cause?: Cause): Outcome<Change[]>;
  /** Stores the session's member record, replacing its last; it goes when the session ends. */
  stateMember(session: string, member: StoredMember): Outcome<void>;
  /**
   * Sets the placement of each of `places` (all or none; a conditional one only at its revision),
   * stamped by `placer`; returns them as stored. Placements belong to no session: they outlive them all.
   */
  place(places: readonly Place[], placer: Placer): Outcome<Placement[]>;
  /**
   * Makes each edit of the stored instances record (all or none; a conditional one only at its
   * revision), stamped by `setter`; returns them as stored. Like placements, they belong to no session.
   */
  editInstances(edits: readonly InstancesEdit[], setter: Setter): Outcome<Instances[]>;
  /** Ends a session and drops the provisions it holds (and its member), for `cause` (a goodbye if not given); returns the changes to fan out now. */
  end(session: string, provisions: readonly string[], cause?: Cause): Change[];
  /** The session has a connection again. */
  attached(session: string): void;
  /** The session lost its connection and waits out its grace. */
  detached(session: string): void;
}
