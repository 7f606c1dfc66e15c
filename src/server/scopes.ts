// Who may do what: each token of the server's config grants the names it may provide, those it may
// require (and list), those it may observe (members, status, events, metrics, the web view), and the
// services whose placement it may set, as patterns whose `*` labels match any label. Pure: the server
// asks, this answers.

import { createHash } from 'node:crypto';
import { WILDCARD } from '../names.ts';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';

/** What a `list` without a name covers. */
export const EVERY_NAME = '*.*.*.*';

/** One entry of the config's `tokens`, its patterns already canonical. */
export interface TokenGrant {
  readonly token: string;
  readonly provide: readonly string[];
  readonly require: readonly string[];
  /** Nothing when absent. */
  readonly observe?: readonly string[];
  /** Services whose placement it may set, as `*.SERVICE.STACK.ENV` patterns; nothing when absent. */
  readonly place?: readonly string[];
}

/** Whether canonical pattern `scope` matches every name that canonical name or pattern `target` can. */
export function covers(scope: string, target: string): boolean {
  const allowed = scope.split('.');
  const wanted = target.split('.');
  if (allowed.length !== wanted.length) return false;
  return allowed.every((label, at) => label === WILDCARD || label === wanted[at]);
}

export class Scope {
  /** What a grant of the config (a token's, or the anonymous one) allows. */
  static of(grant: Pick<TokenGrant, 'provide' | 'require' | 'observe' | 'place'>): Scope {
    return new Scope(grant.provide, grant.require, grant.observe ?? [], grant.place ?? []);
  }

  constructor(
    readonly provide: readonly string[],
    readonly require: readonly string[],
    readonly observe: readonly string[] = [],
    readonly place: readonly string[] = [],
  ) {}

  /** `name` is canonical (NameSchema's output). */
  mayProvide(name: string): boolean {
    return this.provide.some((pattern) => covers(pattern, name));
  }

  /** `pattern` is canonical (PatternSchema's output): every name it can match must be granted. */
  mayRequire(pattern: string): boolean {
    return this.require.some((granted) => covers(granted, pattern));
  }

  /**
   * `pattern` is canonical: every name it can match must be granted. Observing shows who provides
   * and requires what, with addresses and health, so it is granted apart from require.
   */
  mayObserve(pattern: string): boolean {
    return this.observe.some((granted) => covers(granted, pattern));
  }

  /** `service` is `service.stack.environment`: granted when a `place` pattern covers every endpoint name of it. */
  mayPlace(service: string): boolean {
    return this.place.some((granted) => covers(granted, `*.${service}`));
  }

  /**
   * An agent may claim a service nobody placed yet (its host holds the data) when it may provide some
   * endpoint of that service: a `provide` pattern whose service, stack and environment labels match.
   */
  mayClaim(service: string): boolean {
    return this.provide.some((granted) => covers(`*.${granted.split('.').slice(1).join('.')}`, `*.${service}`));
  }

  /**
   * `pattern` is canonical: the placements it picks may be read by who may observe them, or by who
   * may provide in every service they name (an agent reads its own stack's, to know what to run).
   */
  mayReadPlacement(pattern: string): boolean {
    return this.mayObserve(pattern) || this.mayClaim(pattern.split('.').slice(1).join('.'));
  }
}

/**
 * Tokens are looked up by their SHA-256, so that finding one takes the same time whatever prefix
 * a guess shares with a real token.
 */
export class TokenTable {
  private readonly scopes = new Map<string, Scope>();

  constructor(grants: readonly TokenGrant[]) {
    for (const grant of grants) this.scopes.set(digest(grant.token), Scope.of(grant));
  }

  scopeOf(token: string): Scope | undefined {
    return this.scopes.get(digest(token));
  }
}

/** The scope a hello's token grants; throws when it is none of the server's tokens. */
export function helloScope(tokens: TokenTable, token: string | undefined, anonymous?: Scope): Scope {
  if (token === undefined && anonymous) return anonymous;
  if (token === undefined) throw new ProtocolError(ErrorCode.forbidden, 'this disco server needs a token in "hello"');
  const scope = tokens.scopeOf(token);
  if (!scope) throw new ProtocolError(ErrorCode.forbidden, 'the token in "hello" is not one this disco server knows');
  return scope;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The `forbidden` error for a request outside the scope, which says what the scope allows. */
export function forbidden(op: 'provide' | 'require' | 'list' | 'observe' | 'place', name: string, scope: Scope): ProtocolError {
  const granted = { provide: scope.provide, require: scope.require, list: scope.require, observe: scope.observe, place: scope.place }[op];
  const allowed = granted.length ? granted.join(', ') : 'nothing';
  return new ProtocolError(
    ErrorCode.forbidden,
    `this session's token may not ${op} ${name} (it may ${op === 'list' ? 'require' : op} ${allowed})`,
  );
}
