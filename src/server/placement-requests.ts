// The `place` and `placement` requests: a session sets the desired placement of some services, and an
// observer reads the placements a page at a time, and may watch them. Who may do which is the token's
// word (scopes.ts); where placements are kept is the backend's (memory, or etcd without a lease). A
// watch belongs to the connection it was asked on: a session that resumes on another connection asks
// again, as the client does after every reconnect (src/client/placement.ts).

import type { ConsolaInstance } from 'consola';
import type { Request } from '../protocol/messages.ts';
import { PLACEMENT_LIMITS, type Place, type Placement } from '../protocol/placement.ts';
import type { Backend } from './backend.ts';
import type { Connection } from './connection.ts';
import type { LaterReply, Reply } from './later-reply.ts';
import { checkDistinct, PlacementBook, type PlacementChange } from './placement-book.ts';
import { RecordWatches } from './record-watches.ts';
import { EVERY_NAME, forbidden, type Scope } from './scopes.ts';
import type { Session } from './session.ts';

type PlaceRequest = Extract<Request, { op: 'place' }>;
type PlacementRequest = Extract<Request, { op: 'placement' }>;

export class PlacementRequests {
  readonly book = new PlacementBook();
  private readonly watching: RecordWatches<Placement>;

  constructor(
    private readonly backend: Backend,
    logger: ConsolaInstance,
    onChange: (change: PlacementChange) => void,
  ) {
    this.watching = new RecordWatches({
      noun: 'placement',
      field: 'placements',
      push: 'placed',
      prefix: 'w',
      limit: PLACEMENT_LIMITS.watches,
      logger,
    });
    this.book.listen((change) => {
      onChange(change);
      this.watching.changed(change.placement);
    });
  }

  /** Watches held, over every connection (for tests and metrics). */
  get watchCount(): number {
    return this.watching.count;
  }

  /** A `place` or `placement` request: answered now, or (a place stored in etcd) once the store has it. */
  handle(connection: Connection, session: Session, request: PlaceRequest | PlacementRequest): Reply | string | LaterReply {
    if (request.op === 'placement') return this.pageLine(connection, session, request);
    for (const place of request.placements) authorize(session.scope, place);
    checkDistinct(request.placements);
    const placer = { by: session.named ?? 'unknown', since: new Date().toISOString() };
    const stored = this.backend.place(request.placements, placer);
    return stored instanceof Promise ? stored.then((placements) => ({ reply: { placements }, changes: [] })) : { placements: stored };
  }

  /** One page of the placements `request.name` picks, as a reply line, newline included; with `watch`, a watch too. */
  pageLine(connection: Connection, session: Session, request: PlacementRequest): string {
    const pattern = request.name ?? EVERY_NAME;
    if (session.scope && !session.scope.mayReadPlacement(pattern)) throw forbidden('observe', pattern, session.scope);
    return this.watching.pageLine(connection, request, pattern, this.book.list());
  }

  /** The connection closed: its watches go with it. */
  unwatch(connection: Connection): void {
    this.watching.unwatch(connection);
  }
}

/**
 * Whether the session may set this placement: its token's `place` covers the service; or it claims a
 * service nobody placed yet (cause `claim`, revision 0) that it may provide some endpoint of.
 */
function authorize(scope: Scope | undefined, place: Place): void {
  if (!scope || scope.mayPlace(place.service)) return;
  if (place.cause === 'claim' && place.revision === 0 && scope.mayClaim(place.service)) return;
  throw forbidden('place', `*.${place.service}`, scope);
}
