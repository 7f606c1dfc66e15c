// `scs logs [SERVICE...]`: what the services' containers printed, prefixed by service as `scs up`
// prints it; the past in time order across services, then with -f what comes, as it comes.

import type { CAC } from 'cac';
import { hostLabel, ownerLabels, serviceContainers } from '../src/agent/identity.ts';
import { LineSplitter, logName, prefixed, splitTimestamp } from '../src/agent/log-stream.ts';
import { parseSince } from '../src/duration.ts';
import { flag, UserError } from './common.ts';
import { compileStack, project, type StackFlags, selectServices, withStackFile } from './stack.ts';

interface LogsFlags extends StackFlags {
  follow?: boolean;
  tail?: string | number;
  since?: string | number;
  timestamps?: boolean;
  /** `--no-log-prefix`: false. */
  logPrefix?: boolean;
}

/** `--tail`: a whole number of lines, or `all` as Docker takes it. */
export function parseTail(value: string | number | undefined): number | undefined {
  if (value === undefined || String(value) === 'all') return undefined;
  const lines = Number(value);
  if (!Number.isSafeInteger(lines) || lines < 0) throw new Error(`expected a number of lines or "all", not "${value}"`);
  return lines;
}

export function registerLogs(cli: CAC): void {
  withStackFile(cli.command('logs [...services]', "Show what the services' containers print (every service when none is named)"), {
    shortFile: false,
  })
    .option('-f, --follow', 'Keep printing new output (after the verb -f is --follow; put -f FILE before the verb)')
    .option('--tail <lines>', 'Only the last lines of each container (default: all)')
    .option('--since <when>', 'Only lines since a time (2026-01-02T15:04:05Z) or a duration ago (10m, 1h30m)')
    .option('-t, --timestamps', 'Show the time of each line')
    .option('--no-log-prefix', 'Print lines without the "service | " prefix')
    .action(async (names: string[], flags: LogsFlags) => {
      const compiled = selectServices(compileStack({ ...flags, remembered: true, named: names }, { hashImages: false }), names);
      const tail = flag('tail', () => parseTail(flags.tail));
      const sinceNs = flags.since === undefined ? undefined : flag('since', () => parseSince(String(flags.since), Date.now()));
      const engine = await (await import('../src/docker/reader.ts')).dockerReader();
      await engine.ping();
      const owner = ownerLabels({ stack: compiled.stack, environment: compiled.environment, project: project(flags), host: hostLabel() });
      const containers = (
        await Promise.all(
          compiled.services.map(async (service) =>
            (await serviceContainers(engine, owner, service.name)).map((c) => ({ ...c, name: logName(c.labels, service.name) })),
          ),
        )
      ).flat();
      if (containers.length === 0)
        throw new UserError(`${names.length ? names.join(', ') : compiled.stack} has no container; scs up first`);
      const width = Math.max(...containers.map((c) => c.name.length));
      const show = (name: string, line: string) => {
        const text = flags.timestamps ? line : splitTimestamp(line).text;
        process.stdout.write(`${flags.logPrefix === false ? text : prefixed(name, width, text)}\n`);
      };
      const options = {
        follow: flags.follow === true,
        ...(tail === undefined ? {} : { tail }),
        ...(sinceNs === undefined ? {} : { sinceNs }),
      };
      if (options.follow) {
        // Each container's lines as they come; Ctrl-C ends it.
        await Promise.all(containers.map((c) => read(c.id, options, (line) => show(c.name, line))));
        return;
      }
      // The past at once, merged by time, so that what one service did before another reads in order.
      const lines: Array<{ name: string; line: string; ns: bigint }> = [];
      await Promise.all(
        containers.map((c) => read(c.id, options, (line) => lines.push({ name: c.name, line, ns: splitTimestamp(line).ns ?? 0n }))),
      );
      lines.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
      for (const { name, line } of lines) show(name, line);

      async function read(id: string, how: typeof options, onLine: (line: string) => void): Promise<void> {
        const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
        await engine.logs(id, how, (text, stream) => {
          for (const line of splitters[stream].push(text)) onLine(line);
        });
        for (const line of [...splitters.stdout.flush(), ...splitters.stderr.flush()]) onLine(line);
      }
    });
}
