// The instances records this server knows of, by service (`service.stack.environment`): changed by
// its own `scale` and `drain` requests (memory), or mirrored from etcd (etcd-instances.ts). Bounded in
// count; pure, no I/O. Tells its listeners of each change: the seam for `instances` watches and events.

import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { editInstances, INSTANCES_LIMITS, type Instances, type InstancesEdit, type Setter } from '../protocol/instances.ts';

/** One record set, and the one it replaced (none for a service's first). */
export interface InstancesChange {
  readonly record: Instances;
  readonly previous: Instances | undefined;
}

export class InstancesBook {
  private readonly records = new Map<string, Instances>();
  private readonly listeners = new Set<(change: InstancesChange) => void>();

  constructor(private readonly limit: number = INSTANCES_LIMITS.records) {}

  get size(): number {
    return this.records.size;
  }

  /** Calls `listener` for every record set, until the returned function is called. */
  listen(listener: (change: InstancesChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(service: string): Instances | undefined {
    return this.records.get(service);
  }

  /** Every record, in service name order: the order `instances` pages in. */
  list(): Instances[] {
    return [...this.records.values()].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  }

  /** Throws when `edits` name a service twice, or would take the book past its limit. */
  checkRoom(edits: readonly InstancesEdit[]): void {
    const seen = new Set<string>();
    for (const { service } of edits) {
      if (seen.has(service)) throw new ProtocolError(ErrorCode.badRequest, `${service} appears more than once`);
      seen.add(service);
    }
    const added = edits.filter((edit) => !this.records.has(edit.service)).length;
    if (this.records.size + added > this.limit)
      throw new ProtocolError(ErrorCode.overloaded, `this disco server holds its maximum of ${this.limit} instances records`);
  }

  /**
   * The records `edits` make of what is stored, none kept yet; throws (and nothing changes) when one
   * cannot be made: a service named twice, the limit passed, too many drains, a condition that does not hold.
   */
  made(edits: readonly InstancesEdit[], setter: Setter, stored = (service: string) => this.records.get(service)): Instances[] {
    this.checkRoom(edits);
    return edits.map((edit) => {
      const now = stored(edit.service);
      if (edit.revision !== undefined && (now?.revision ?? 0) !== edit.revision) throw conflict(edit, now);
      try {
        return editInstances(now, edit, setter);
      } catch (error) {
        throw new ProtocolError(ErrorCode.badRequest, (error as Error).message);
      }
    });
  }

  /** Makes and keeps every one of `edits`, or (when one cannot be made) none; each service's revision grows by one. */
  edit(edits: readonly InstancesEdit[], setter: Setter): Instances[] {
    return this.made(edits, setter).map((record) => this.keep(record));
  }

  /** Keeps `record` as a store has it (its revision already decided), replacing the service's last; returns it. */
  keep(record: Instances): Instances {
    const previous = this.records.get(record.service);
    this.records.set(record.service, record);
    this.tell({ record, previous });
    return record;
  }

  /** Whether one more service could be kept: a store's record past the limit is left out. */
  hasRoomFor(service: string): boolean {
    return this.records.has(service) || this.records.size < this.limit;
  }

  /** Forgets a service's record (its key went from the store); a watch hears of it only when it is set again. */
  forget(service: string): void {
    this.records.delete(service);
  }

  private tell(change: InstancesChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own: the book and the other listeners go on.
      }
    }
  }
}

/** The `conflict` error: one sentence naming the service, and the revision it is at now. */
export function conflict(edit: InstancesEdit, stored: Instances | undefined): ProtocolError {
  const now = stored ? `it is at revision ${stored.revision} now (by ${stored.by})` : 'none is stored now';
  return new ProtocolError(
    ErrorCode.conflict,
    `the instances of ${edit.service} were not changed: they were expected at revision ${edit.revision}, but ${now}`,
  );
}
