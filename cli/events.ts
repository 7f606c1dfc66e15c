import type { CAC } from 'cac';
import { parseSince } from '../src/duration.ts';
import { formatEvent } from '../src/events/format.ts';
import { watchEvents } from '../src/events/watch.ts';
import { PatternSchema } from '../src/protocol/fields.ts';
import { connectDisco, flag, type GlobalFlags, parseWith, untilSignal, withDiscoAccess } from './common.ts';
import { type FormatFlags, outputFormat, printJsonLine, withFormat } from './output.ts';

interface EventsFlags extends GlobalFlags, FormatFlags {
  since?: string | number;
  until?: string | number;
}

const when = (name: string, text: string | number) => flag(name, () => Number(parseSince(String(text), Date.now()) / 1_000_000n));

export function registerEvents(cli: CAC): void {
  withFormat(withDiscoAccess(cli.command('events [name]', 'Stream disco\'s events (of a name, or of a pattern such as "*.*.blog.prod")')))
    .option('--since <when>', 'Replay the events kept since a time (2026-01-02T15:04:05Z) or a duration ago (10m); at most the last hour')
    .option('--until <when>', 'Stop at this time, or a duration ago; a time past replays and exits')
    .example('scs events --since 10m')
    .example("scs events '*.*.blog.prod' --json")
    .action(async (nameText: string | undefined, flags: EventsFlags) => {
      const name = nameText === undefined ? undefined : parseWith(PatternSchema, nameText, 'name');
      const json = outputFormat(flags) === 'json';
      const since = flags.since === undefined ? undefined : when('since', flags.since);
      const until = flags.until === undefined ? undefined : when('until', flags.until);
      const client = await connectDisco(flags, 'scs events');
      try {
        const print = json ? printJsonLine : (event: Parameters<typeof formatEvent>[0]) => process.stdout.write(`${formatEvent(event)}\n`);
        await watchEvents(client, { name, since, until, print, stopped: untilSignal() });
      } finally {
        await client.close();
      }
    });
}
