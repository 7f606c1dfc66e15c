// A disco server's recent events, in memory only: the last `maxCount`, and none older than
// `maxAgeMs`, whichever keeps fewer. A circular array, so recording never copies; pure (the caller
// gives the time), so its bounds are tested without waiting.

import type { DiscoEvent, EventInput } from './event.ts';

export const RING_EVENTS = 10_000;
export const RING_AGE_MS = 60 * 60 * 1000;

export interface RingBounds {
  readonly maxCount: number;
  readonly maxAgeMs: number;
}

export class EventRing {
  private readonly slots: (DiscoEvent | undefined)[];
  /** Index of the oldest event kept. */
  private head = 0;
  private count = 0;
  private nextSeq = 1;

  constructor(
    readonly server: string,
    readonly bounds: RingBounds = { maxCount: RING_EVENTS, maxAgeMs: RING_AGE_MS },
  ) {
    this.slots = new Array(bounds.maxCount);
  }

  get size(): number {
    return this.count;
  }

  /** The number of the last event recorded (0 before the first). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  record(input: EventInput, now: number): DiscoEvent {
    const { kind, name, reason, detail, client, ok } = input;
    // Field by field: spreading `input` costs some microseconds an event on Node 20, on every registry change.
    const event: DiscoEvent = { kind, name, reason, detail, client, ok, seq: this.nextSeq++, at: now, server: this.server };
    if (this.count === this.bounds.maxCount) this.dropOldest();
    this.slots[(this.head + this.count) % this.bounds.maxCount] = event;
    this.count++;
    this.expire(now);
    return event;
  }

  /** Every event kept at or after `from` (ms since the epoch), oldest first. */
  since(from: number, now: number): DiscoEvent[] {
    this.expire(now);
    const events: DiscoEvent[] = [];
    for (let i = 0; i < this.count; i++) {
      const event = this.slots[(this.head + i) % this.bounds.maxCount]!;
      if (event.at >= from) events.push(event);
    }
    return events;
  }

  /** The time of the oldest event kept, or undefined when none is. */
  oldest(now: number): number | undefined {
    this.expire(now);
    return this.count === 0 ? undefined : this.slots[this.head]!.at;
  }

  private expire(now: number): void {
    while (this.count > 0 && now - this.slots[this.head]!.at > this.bounds.maxAgeMs) this.dropOldest();
  }

  private dropOldest(): void {
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.bounds.maxCount;
    this.count--;
  }
}
