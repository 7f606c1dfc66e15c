// Who may see what on the HTTP listener: `Authorization: Bearer <token>`, looked up as the protocol's
// hello is (scopes.ts: by the token's digest), then the route's access. Pure.

import type { IncomingHttpHeaders } from 'node:http';
import type { Scope, TokenTable } from '../server/scopes.ts';
import type { Access, HttpReply } from './routes.ts';
import { textReply } from './routes.ts';

export interface HttpTokens {
  readonly table: TokenTable;
  /** What a request without a token may see, as a hello without one may (the embedded disco); refused when absent. */
  readonly anonymous?: Scope;
}

const BEARER = /^Bearer ([^\s]+)$/i;

/** Undefined when the request may go on; else the refusal to send. */
export function refusal(access: Access, headers: IncomingHttpHeaders, tokens: HttpTokens | undefined): HttpReply | undefined {
  if (!tokens || access === 'open') return undefined;
  const header = headers.authorization;
  let scope: Scope | undefined;
  if (header === undefined) {
    scope = tokens.anonymous;
    if (!scope) return challenge('this server needs a token: send "Authorization: Bearer <token>"');
  } else {
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) return challenge('the Authorization header must be "Bearer <token>"');
    scope = tokens.table.scopeOf(token);
    if (!scope) return challenge('the token is not one this server knows');
  }
  if (access === 'known' || access(scope)) return undefined;
  return textReply(403, "the token's scope does not grant this (it needs observe)");
}

function challenge(line: string): HttpReply {
  return { ...textReply(401, line), headers: { 'www-authenticate': 'Bearer' } };
}
