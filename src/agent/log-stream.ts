// Foreground `scs up` prints what the stack's containers print, as Compose does: `web     | line`.
// Containers are found by their labels and followed from each start (Docker's events), so the
// stream keeps following a service whose container Docker restarted or scs replaced.

import { isOneOff, serviceLabelOf } from '../docker/labels.ts';
import type { ContainerEngine } from './container-engine.ts';
import { instanceName, instanceOfLabels } from './instances.ts';

/** What the stream needs of an engine: src/docker/engine.ts has all of it. */
export interface LogEngine extends Pick<ContainerEngine, 'list' | 'inspect' | 'events'> {
  /** Lines come led by Docker's RFC 3339 timestamp and a space. */
  followLogs(
    id: string,
    sinceNs: bigint,
    onText: (text: string, stream: 'stdout' | 'stderr') => void,
    onEnd: () => void,
  ): Promise<() => void>;
}

export interface LogStreamOptions {
  /** `service | ` before each line (false: the lines as printed). */
  prefix: boolean;
  /** Services known up front, so the prefixes line up from the first line. */
  services?: readonly string[];
  write: (line: string) => void;
}

/** `web  | text`, padded to the longest service name, as Compose prints it. */
export function prefixed(service: string, width: number, line: string): string {
  return `${service.padEnd(width)} | ${line}`;
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

/** `2026-11-25T01:02:03.123456789Z text` → its time in nanoseconds, and the text. */
export function splitTimestamp(line: string): { ns: bigint | undefined; text: string } {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z ?/.exec(line);
  if (!match) return { ns: undefined, text: line };
  const seconds = BigInt(Date.parse(`${match[1]}Z`) / 1000);
  return { ns: seconds * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0')), text: line.slice(match[0].length) };
}

export class LogStream {
  /** Per container, the run followed now. */
  private readonly following = new Map<string, { startedAt: string; stop: () => void }>();
  /** Per container, the time of the last line shown: a later run of it starts after that. */
  private readonly shownUntil = new Map<string, bigint>();
  private stopEvents: (() => void) | undefined;
  private stopped = false;
  private width: number;

  constructor(
    private readonly engine: LogEngine,
    private readonly labels: Record<string, string>,
    private readonly options: LogStreamOptions,
  ) {
    this.width = Math.max(0, ...(options.services ?? []).map((service) => service.length));
  }

  /**
   * Follows every container that runs from now on, and what it prints from now: a container
   * taken over does not replay its past, one that starts later is shown from its first line.
   */
  async start(): Promise<void> {
    const now = BigInt(Date.now()) * 1_000_000n;
    // Events first, so a container that starts while the list is read is not missed.
    this.stopEvents = await this.engine.events(this.labels, (event) => {
      if (event.action === 'start') void this.follow(event.id, now);
    });
    for (const container of await this.engine.list(this.labels)) {
      if (container.state === 'running') await this.follow(container.id, now);
    }
  }

  stop(): void {
    this.stopped = true;
    this.stopEvents?.();
    for (const run of this.following.values()) run.stop();
    this.following.clear();
  }

  /**
   * One run of one container (a restart is a new run). Docker records a start a moment after the
   * program may have printed, so a run is read from just after the last line shown of the
   * container, not from its start time; the previous run's stream, which may still be reading its
   * last lines, is closed so that none is shown twice.
   */
  private async follow(id: string, notBefore: bigint): Promise<void> {
    const info = await this.engine.inspect(id).catch(() => undefined);
    // A one-off of `scs run` prints to its own terminal, not into the stack's log.
    if (!info || this.stopped || isOneOff(info.labels)) return;
    const previous = this.following.get(id);
    if (previous?.startedAt === info.startedAt) return;
    previous?.stop();
    const run = { startedAt: info.startedAt, stop: () => {} };
    this.following.set(id, run);
    const service = logName(info.labels, info.name);
    this.width = Math.max(this.width, service.length);
    const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    const print = (lines: string[]) => {
      if (this.following.get(id) !== run) return;
      for (const line of lines) {
        const { ns, text } = splitTimestamp(line);
        const shown = this.shownUntil.get(id);
        if (ns !== undefined && (shown === undefined || ns > shown)) this.shownUntil.set(id, ns);
        this.options.write(this.options.prefix ? prefixed(service, this.width, text) : text);
      }
    };
    const shown = this.shownUntil.get(id);
    try {
      const stop = await this.engine.followLogs(
        id,
        shown !== undefined && shown + 1n > notBefore ? shown + 1n : notBefore,
        (text, stream) => print(splitters[stream].push(text)),
        () => {
          print([...splitters.stdout.flush(), ...splitters.stderr.flush()]);
          if (this.following.get(id) === run) this.following.delete(id);
        },
      );
      if (this.stopped || this.following.get(id) !== run) stop();
      else run.stop = stop;
    } catch {
      // The container went away before its logs could be read: nothing to show.
      if (this.following.get(id) === run) this.following.delete(id);
    }
  }
}

/** What a container's lines are prefixed by: its service, and from instance 2 on which instance, as Compose tells replicas apart (`web-2 | …`). */
export function logName(labels: Readonly<Record<string, string>>, fallback: string): string {
  const service = serviceLabelOf(labels);
  return service ? instanceName(service, instanceOfLabels(labels)) : fallback;
}
