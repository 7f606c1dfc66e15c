// A wait bounded by --wait-timeout ran out: its own type, so that `scs up` exits 124 for it.

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}
