// Foreground `scs up` prints what the stack's containers print, as Compose does: `web     | line`.
// Containers are found by their labels and followed from each start (Docker's events), so the
// stream keeps following a service whose container Docker restarted or scs replaced.

import type { ContainerEngine } from './container-engine.ts';
import { LABEL } from '../docker/labels.ts';

/** What the stream needs of an engine: src/docker/engine.ts has all of it. */
export interface LogEngine extends Pick<ContainerEngine, 'list' | 'inspect' | 'events'> {
  followLogs(id: string, since: string, onText: (text: string, stream: 'stdout' | 'stderr') => void, onEnd: () => void): Promise<() => void>;
}

export interface LogStreamOptions {
  /** `role | ` before each line (false: the lines as printed). */
  prefix: boolean;
  /** Roles known up front, so the prefixes line up from the first line. */
  roles?: readonly string[];
  write: (line: string) => void;
}

/** `web  | text`, padded to the longest role, as Compose prints it. */
export function prefixed(role: string, width: number, line: string): string {
  return `${role.padEnd(width)} | ${line}`;
}

/** Splits text arriving in pieces into whole lines; a partial line waits for its end. */
export class LineSplitter {
  private partial = '';
  push(text: string): string[] {
    const lines = (this.partial + text).split(/\r?\n/);
    this.partial = lines.pop()!;
    return lines;
  }
  /** What is left when the stream ends: a last line without a newline. */
  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest ? [rest] : [];
  }
}

export class LogStream {
  private readonly following = new Map<string, () => void>();
  private stopEvents: (() => void) | undefined;
  private stopped = false;
  private width: number;

  constructor(
    private readonly engine: LogEngine,
    private readonly labels: Record<string, string>,
    private readonly options: LogStreamOptions,
  ) {
    this.width = Math.max(0, ...(options.roles ?? []).map((role) => role.length));
  }

  /** Follows the containers running now and every one that starts from now on. */
  async start(): Promise<void> {
    // Events first, so a container that starts while the list is read is not missed.
    this.stopEvents = await this.engine.events(this.labels, (event) => {
      if (event.action === 'start') void this.follow(event.id);
    });
    for (const container of await this.engine.list(this.labels)) {
      if (container.state === 'running') await this.follow(container.id);
    }
  }

  stop(): void {
    this.stopped = true;
    this.stopEvents?.();
    for (const stop of this.following.values()) stop();
    this.following.clear();
  }

  /** One run of one container: a restart is a new run, from its own start time. */
  private async follow(id: string): Promise<void> {
    const info = await this.engine.inspect(id).catch(() => undefined);
    if (!info || this.stopped) return;
    const run = `${id}@${info.startedAt}`;
    if (this.following.has(run)) return;
    const role = info.labels[LABEL.role] ?? info.name;
    this.width = Math.max(this.width, role.length);
    const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    const print = (lines: string[]) => {
      for (const line of lines) this.options.write(this.options.prefix ? prefixed(role, this.width, line) : line);
    };
    this.following.set(run, () => {});
    try {
      const stop = await this.engine.followLogs(
        id,
        info.startedAt,
        (text, stream) => print(splitters[stream].push(text)),
        () => {
          print([...splitters.stdout.flush(), ...splitters.stderr.flush()]);
          this.following.delete(run);
        },
      );
      if (this.stopped) stop();
      else if (this.following.has(run)) this.following.set(run, stop);
    } catch {
      // The container went away before its logs could be read: nothing to show.
      this.following.delete(run);
    }
  }
}
