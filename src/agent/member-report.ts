// Keeps the agent's member record at disco current: sent once the agent is up, after every change
// of what it reports, and again whenever its session comes back (resumed, or new). Changes are
// coalesced: at most one record per interval, and the one sent is always the latest; a record
// equal to the last one sent is not sent again.

import { ErrorCode } from '../protocol/errors.ts';
import { fitMember, type MemberRecord } from '../protocol/member.ts';

export const MEMBER_INTERVAL_MS = 1000;

export interface MemberReportOptions {
  /** What the agent reports now. */
  readonly build: () => MemberRecord;
  /** Sends one record; rejects with the server's refusal or a lost connection. */
  readonly send: (record: MemberRecord) => Promise<void>;
  readonly logger: { warn(message: string): void };
  readonly intervalMs?: number;
}

/** Errors after which the same record is sent again: the session or the store was away, not the record refused. */
const PASSING = new Set<string>([ErrorCode.unavailable, ErrorCode.replaced, 'timeout', 'unreachable']);

export class MemberReport {
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private dirty = false;
  private stopped = false;
  private lastSentAt = -Infinity;
  private lastSent: string | undefined;

  constructor(private readonly options: MemberReportOptions) {
    this.intervalMs = options.intervalMs ?? MEMBER_INTERVAL_MS;
  }

  /** What it reports may have changed. */
  changed(): void {
    this.dirty = true;
    this.schedule();
  }

  /** The session came back: disco may have lost the record (a new session), so it is sent even if unchanged. */
  reconnected(): void {
    this.lastSent = undefined;
    this.changed();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer || this.sending || this.stopped) return;
    const wait = Math.max(0, this.lastSentAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
    this.timer.unref?.();
  }

  private async flush(): Promise<void> {
    if (!this.dirty || this.stopped) return;
    this.dirty = false;
    const record = fitMember(this.options.build());
    const text = JSON.stringify(record);
    if (text === this.lastSent) return;
    this.sending = true;
    this.lastSentAt = Date.now();
    try {
      await this.options.send(record);
      this.lastSent = text;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'closed') return; // The agent is stopping: its member goes with its session.
      // A session reset or a store away: sent again. A refusal: said once, and not sent again until what it reports changes.
      if (typeof code !== 'string' || PASSING.has(code)) this.dirty = true;
      else {
        this.lastSent = text;
        this.options.logger.warn(`disco refused this agent's member record: ${(error as Error).message}`);
      }
    } finally {
      this.sending = false;
      if (this.dirty) this.schedule();
    }
  }
}
