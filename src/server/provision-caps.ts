// How many provisions each session, each token and the whole server hold, and whether one more may
// come: an endpoint is counted from its provide (while the store has not yet answered too) until it
// is unprovided or its session ends.

import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import type { Scope } from './scopes.ts';

export interface ProvisionLimits {
  maxProvisionsPerSession: number;
  /** Across the sessions opened with one token; no cap where the server has no tokens. */
  maxProvisionsPerToken: number;
  maxProvisions: number;
}

/** What the caps know of a session: the token it was opened with. */
interface Holder {
  readonly scope: Scope | undefined;
}

export class ProvisionCaps {
  private total = 0;
  private readonly bySession = new Map<Holder, number>();
  private readonly byScope = new Map<Scope, number>();

  constructor(private readonly limits: ProvisionLimits) {}

  /** Counts one more provision of `session`, or throws `too_many_provisions` when it would pass a cap. */
  reserve(session: Holder): void {
    const { maxProvisionsPerSession, maxProvisionsPerToken, maxProvisions } = this.limits;
    let why: string | undefined;
    if ((this.bySession.get(session) ?? 0) >= maxProvisionsPerSession) {
      why = `this session holds its maximum of ${maxProvisionsPerSession} provisions`;
    } else if (session.scope && (this.byScope.get(session.scope) ?? 0) >= maxProvisionsPerToken) {
      why = `the sessions of this token hold their maximum of ${maxProvisionsPerToken} provisions`;
    } else if (this.total >= maxProvisions) why = `the server holds its maximum of ${maxProvisions} provisions`;
    if (why) throw new ProtocolError(ErrorCode.tooManyProvisions, `${why}; unprovide some first`);
    this.add(session, 1);
  }

  /** `count` provisions more for `session`, or fewer when negative; a session back at none is forgotten. */
  add(session: Holder, count: number): void {
    this.total += count;
    const held = (this.bySession.get(session) ?? 0) + count;
    if (held > 0) this.bySession.set(session, held);
    else this.bySession.delete(session);
    if (!session.scope) return;
    const byToken = (this.byScope.get(session.scope) ?? 0) + count;
    if (byToken > 0) this.byScope.set(session.scope, byToken);
    else this.byScope.delete(session.scope);
  }

  /** Everything `session` held, gone with it. */
  ended(session: Holder): void {
    this.add(session, -(this.bySession.get(session) ?? 0));
  }
}
