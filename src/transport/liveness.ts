// When a peer counts as dead and when to ping it, from the last times a line was heard and sent.
// Pure: the owner keeps one timer and sets it to `nextCheckIn`, so a silent peer is noticed right
// at `timeout`, not up to half a check period later.

export interface HeartbeatTimes {
  /** Ping when nothing has been sent for this long. */
  readonly interval: number;
  /** Take the peer for dead when nothing has been heard for this long. */
  readonly timeout: number;
}

export interface LivenessCheck {
  readonly dead: boolean;
  /** Send a ping now. */
  readonly ping: boolean;
  /** When to check again, in ms from `now` (assuming the ping, if any, was sent). */
  readonly nextCheckIn: number;
}

export function checkLiveness(now: number, lastHeard: number, lastSent: number, times: HeartbeatTimes): LivenessCheck {
  const silentFor = now - lastHeard;
  if (silentFor >= times.timeout) return { dead: true, ping: false, nextCheckIn: 0 };
  const ping = now - lastSent >= times.interval;
  const sentAt = ping ? now : lastSent;
  const nextCheckIn = Math.min(lastHeard + times.timeout, sentAt + times.interval) - now;
  return { dead: false, ping, nextCheckIn: Math.max(1, nextCheckIn) };
}
