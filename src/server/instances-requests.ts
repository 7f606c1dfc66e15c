// The `scale`, `drain` and `instances` requests: a session sets how many instances of some services
// should run, or drains and undrains some of them, and an observer reads the records a page at a time,
// and may watch them. The same rules as placement's (placement-requests.ts): who may set them is the
// token's `place`, who may read them its `observe`; where they are kept is the backend's (memory, or
// etcd without a lease). A watch belongs to the connection it was asked on.

import type { ConsolaInstance } from 'consola';
import { drainEdits, INSTANCES_LIMITS, type Instances, scaleEdits } from '../protocol/instances.ts';
import type { Request } from '../protocol/messages.ts';
import type { Backend } from './backend.ts';
import type { Connection } from './connection.ts';
import { InstancesBook, type InstancesChange } from './instances-book.ts';
import type { LaterReply, Reply } from './later-reply.ts';
import { RecordWatches } from './record-watches.ts';
import { EVERY_NAME, forbidden } from './scopes.ts';
import type { Session } from './session.ts';

type InstancesRequest = Extract<Request, { op: 'scale' | 'drain' | 'instances' }>;

export class InstancesRequests {
  readonly book = new InstancesBook();
  private readonly watching: RecordWatches<Instances>;

  constructor(
    private readonly backend: Backend,
    logger: ConsolaInstance,
    onChange: (change: InstancesChange) => void,
  ) {
    this.watching = new RecordWatches({
      noun: 'instances',
      field: 'records',
      push: 'instances-changed',
      prefix: 'i',
      limit: INSTANCES_LIMITS.watches,
      logger,
    });
    this.book.listen((change) => {
      onChange(change);
      this.watching.changed(change.record);
    });
  }

  /** Watches held, over every connection (for tests). */
  get watchCount(): number {
    return this.watching.count;
  }

  /** A `scale`, `drain` or `instances` request: answered now, or (a change stored in etcd) once the store has it. */
  handle(connection: Connection, session: Session, request: InstancesRequest): Reply | string | LaterReply {
    if (request.op === 'instances') {
      const pattern = request.name ?? EVERY_NAME;
      if (session.scope && !session.scope.mayReadPlacement(pattern)) throw forbidden('observe', pattern, session.scope);
      return this.watching.pageLine(connection, request, pattern, this.book.list());
    }
    const edits = request.op === 'scale' ? scaleEdits(request.services) : drainEdits(request.drains);
    for (const { service } of edits)
      if (session.scope && !session.scope.mayPlace(service)) throw forbidden('place', `*.${service}`, session.scope);
    const setter = { by: session.named ?? 'unknown', since: new Date().toISOString() };
    const stored = this.backend.editInstances(edits, setter);
    return stored instanceof Promise ? stored.then((records) => ({ reply: { records }, changes: [] })) : { records: stored };
  }

  /** The connection closed: its watches go with it. */
  unwatch(connection: Connection): void {
    this.watching.unwatch(connection);
  }
}
