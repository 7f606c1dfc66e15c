// What the disco server tells its metrics as it works, off the DNS path. Optional: a server without
// an HTTP listener has no meter, and each call is skipped.

import type { ErrorCode } from '../protocol/errors.ts';

export interface ServerMeter {
  /** One round of fan-out: the pushes it wrote, and the seconds from the changes to the last write. */
  fannedOut(pushes: number, seconds: number): void;
  /** An ack came: seconds since the oldest push it acknowledges was sent. */
  acked(seconds: number): void;
  /** A subscription that fell behind was sent its whole list again. */
  resynced(): void;
  /** A request or connection refused with an error reply. */
  refused(code: ErrorCode): void;
}
