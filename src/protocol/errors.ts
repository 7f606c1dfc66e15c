/** Error codes a reply can carry; docs/protocol.md lists when each is sent. */
export const ErrorCode = {
  parseError: 'parse_error',
  badRequest: 'bad_request',
  unknownOp: 'unknown_op',
  invalidName: 'invalid_name',
  notFound: 'not_found',
  noSession: 'no_session',
  unsupportedVersion: 'unsupported_version',
  lineTooLong: 'line_too_long',
  tooManyErrors: 'too_many_errors',
  overloaded: 'overloaded',
  replaced: 'replaced',
  helloTimeout: 'hello_timeout',
  lineTimeout: 'line_timeout',
  tooManyConnections: 'too_many_connections',
  /** The session's token does not allow this request, or the hello's token is missing or unknown. */
  forbidden: 'forbidden',
  /** A plain-text client reached a server that speaks only TLS. */
  tlsRequired: 'tls_required',
  /** The server checks client certificates, and this client presented none it trusts. */
  certificateRequired: 'certificate_required',
  /** The shared registry (etcd) could not be reached in time; the request may be sent again. */
  unavailable: 'unavailable',
  /** A provide past the server's caps on provisions: per session, per token, or in total. */
  tooManyProvisions: 'too_many_provisions',
  /** A `member` that would pass the server's caps on members: their count, or their bytes together. */
  tooManyMembers: 'too_many_members',
  /** A conditional `place` whose `revision` is not the stored one's: someone placed the service meanwhile. */
  conflict: 'conflict',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
