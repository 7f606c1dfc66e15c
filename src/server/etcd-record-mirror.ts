// One kind of per-service record kept in etcd under `<prefix><dir><service>` WITHOUT a lease (a
// placement, an instances record), mirrored into this server's book of them from the watch. Its
// revision is etcd's own version of the key. What etcd holds is read with the wire's own schema:
// anyone who can write to etcd is one more client, and a value that breaks the rules is skipped.

import * as v from 'valibot';
import { describeIssues } from '../protocol/fields.ts';
import type { KeyValue, WatchEvent } from './etcd-client.ts';
import { safeJson } from './etcd-values.ts';

/** The book a mirror keeps its records in. */
export interface RecordBook<T> {
  keep(record: T): void;
  forget(service: string): void;
  hasRoomFor(service: string): boolean;
}

export interface RecordKind<T> {
  /** Where they live under the prefix: `placement/`. */
  readonly dir: string;
  readonly schema: v.GenericSchema<unknown, T>;
  /** What one record is of a service, in a sentence: `the placement of web.blog.prod`. */
  readonly of: (service: string) => string;
  /** What the book is full of: `placements`. */
  readonly plural: string;
}

export class EtcdRecordMirror<T extends { readonly service: string }> {
  readonly dir: string;
  /** The revision each mirrored key was last written at: the answer to this server's own write and its watch event may come in either order. */
  private readonly modRevisions = new Map<string, number>();

  constructor(
    protected readonly prefix: string,
    protected readonly book: RecordBook<T>,
    private readonly kind: RecordKind<T>,
  ) {
    this.dir = kind.dir;
  }

  keyOf(service: string): string {
    return `${this.prefix}${this.dir}${service}`;
  }

  /** The etcd keys of the records mirrored, so that a full read without one lets it go. */
  mirrored(): Iterable<string> {
    return this.modRevisions.keys();
  }

  /** Applies one event on a key under its dir; returns why it was skipped, if it was. */
  apply(event: WatchEvent): string | undefined {
    const service = event.kv.key.slice(this.prefix.length + this.dir.length);
    if (event.kv.modRevision <= (this.modRevisions.get(event.kv.key) ?? 0)) return undefined;
    const read = event.type === 'put' ? this.read(service, event.kv) : undefined;
    // A value that breaks the rules replaces the last one all the same: what it said is no longer so.
    if (!read || typeof read === 'string') {
      this.modRevisions.delete(event.kv.key);
      this.book.forget(service);
      return read;
    }
    this.modRevisions.set(event.kv.key, event.kv.modRevision);
    this.book.keep(read);
    return undefined;
  }

  /** The record a value holds, or why it holds none. */
  protected read(service: string, kv: KeyValue): T | string {
    const json = safeJson(kv.value);
    if (typeof json !== 'object' || json === null) return 'its value is not a JSON object';
    const parsed = v.safeParse(this.kind.schema, { ...json, revision: kv.version });
    if (!parsed.success) return describeIssues(parsed.issues);
    if (parsed.output.service !== service) return `it holds ${this.kind.of(parsed.output.service)}, not of ${service}`;
    if (!this.book.hasRoomFor(service)) return `this disco server holds its maximum of ${this.kind.plural}`;
    return parsed.output;
  }
}
