// Container events from the Docker Engine, followed across the daemon going away and coming back.

import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerEvent, ContainerSummary } from '../agent/container-engine.ts';

/** How often a lost event stream is tried again while the daemon does not answer. */
const EVENTS_RETRY_MS = 1000;

/**
 * Streams container events for one label; returns a function that stops the stream. A daemon that
 * goes away (killed, restarted) ends the stream: it is opened again once the daemon answers, and
 * each container is then reported as it is (`start` when running, else `die`), since what happened
 * meanwhile was never told.
 */
export async function followEvents(
  docker: Docker,
  label: Record<string, string>,
  list: (labels: Record<string, string>) => Promise<ContainerSummary[]>,
  onEvent: (event: ContainerEvent) => void,
): Promise<() => void> {
  const labels = Object.entries(label).map(([k, value]) => `${k}=${value}`);
  let stream: Readable | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  const open = async () => {
    const opened = (await docker.getEvents({ filters: { type: ['container'], label: labels } })) as unknown as Readable;
    stream = opened;
    let buffered = '';
    opened.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let at: number;
      while ((at = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        try {
          const event = JSON.parse(line) as { id?: string; Action?: string; Actor?: { ID: string; Attributes?: Record<string, string> } };
          const id = event.Actor?.ID ?? event.id;
          if (id && event.Action) onEvent({ id, action: event.Action, labels: event.Actor?.Attributes ?? {} });
        } catch {
          // A partial or foreign line: the next ones still parse.
        }
      }
    });
    const lost = () => {
      if (stopped || opened !== stream || retry) return;
      opened.destroy();
      retry = setTimeout(reopen, EVENTS_RETRY_MS);
    };
    opened.on('error', lost).on('end', lost).on('close', lost);
  };
  const reopen = async () => {
    retry = undefined;
    if (stopped) return;
    try {
      await open();
      for (const container of await list(label))
        onEvent({ id: container.id, action: container.state === 'running' ? 'start' : 'die', labels: container.labels });
    } catch {
      if (!stopped && !retry) retry = setTimeout(reopen, EVENTS_RETRY_MS);
    }
  };
  await open();
  return () => {
    stopped = true;
    clearTimeout(retry);
    stream?.destroy();
  };
}
