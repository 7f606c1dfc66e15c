// One event as `scs events` prints it for people, one line each, as `docker events` does: the time,
// the kind, the name, the reason, then what happened, and who caused it.

import type { WireEvent } from './event.ts';

/** `2026-12-06T18:00:00.123Z endpoint-dropped web.web.shop.dev goodbye 127.0.0.1:8080/tcp (client=shop-web)`. */
export function formatEvent(event: WireEvent): string {
  const outcome = event.ok === undefined ? '' : event.ok ? ' ok' : ' failed';
  const client = event.client === undefined ? '' : ` (client=${event.client})`;
  // One line an event, whatever an agent put in its detail.
  const detail = event.detail.replace(/\s*\n\s*/g, ' ');
  return `${event.time} ${event.kind} ${event.name} ${event.reason}${outcome}${detail ? ` ${detail}` : ''}${client}`;
}
