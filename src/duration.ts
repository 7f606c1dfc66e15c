// Durations as users write them: `250ms`, `5s`, `2m`, `1h30m`, or a bare number of seconds (as
// Compose reads its timeouts). The result is in milliseconds.

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration as text: a bare number (of seconds), or amounts with units (`1h30m`). */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?|(?:\d+(?:\.\d+)?(?:ms|s|m|h))+)$/;

/** `30` → `30s`: the bare number with the unit it means, for tools that want one. */
export function withUnit(text: string): string {
  return /^\d+(?:\.\d+)?$/.test(text) ? `${text}s` : text;
}

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

export function parseDuration(text: string): number {
  const trimmed = String(text).trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * UNITS.s!);
  if (!DURATION_PATTERN.test(trimmed))
    throw new Error(`"${text}" is not a duration like 500ms, 5s, 2m or 1h30m (a bare number is seconds)`);
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) ms += Number(amount) * UNITS[unit!]!;
  return Math.round(ms);
}

/**
 * `--since` as Docker reads it, in nanoseconds since the epoch: a duration back from `nowMs`
 * (`10m`), an RFC 3339 time or date (`2026-01-02T15:04:05Z`, `2026-01-02`), or a bare number of
 * seconds since the epoch (Docker's Unix timestamp, not a duration).
 */
export function parseSince(text: string, nowMs: number): bigint {
  const trimmed = String(text).trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return BigInt(Math.round(Number(trimmed) * 1000)) * 1_000_000n;
  if (/^\d{4}-\d\d-\d\d/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isNaN(ms)) throw new Error(`"${text}" is not a time like 2026-01-02T15:04:05Z`);
    return BigInt(ms) * 1_000_000n;
  }
  try {
    return BigInt(nowMs - parseDuration(trimmed)) * 1_000_000n;
  } catch {
    throw new Error(`"${text}" is neither a duration like 10m nor a time like 2026-01-02T15:04:05Z`);
  }
}

/**
 * How long ago an RFC 3339 time was, as a table shows it (`docker ps`'s "3 minutes ago", shorter):
 * `12 s ago`, `3 min ago`, `5 h ago`, `2 days ago`; the text itself when it is not a time, `now` for
 * one ahead of the clock (another host's clock may run a little ahead).
 */
export function ago(time: string, nowMs: number): string {
  const ms = nowMs - Date.parse(time);
  if (Number.isNaN(ms)) return time;
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} days ago`;
}
