import { spawn } from 'node:child_process';
import type { CAC } from 'cac';
import { consola } from 'consola';
import { CoalescingRunner } from '../src/agent/coalesce.ts';
import { requireEnv } from '../src/agent/env.ts';
import { orderedWatch } from '../src/agent/nearest-watch.ts';
import type { Endpoint, Watch, WatchEvent } from '../src/client/client.ts';
import { hasWildcard, type NamePattern, parseName, parsePattern, WILDCARD } from '../src/names.ts';
import { PatternSchema } from '../src/protocol/fields.ts';
import { type Place, placeOf } from '../src/registry/nearest.ts';
import { connectDiscoWaiting, type GlobalFlags, parseAttributes, parseWith, untilSignal, withDiscoAccess } from './common.ts';
import { describeEndpoint, type FormatFlags, outputFormat, printJsonLine, withFormat } from './output.ts';

interface RequireFlags extends GlobalFlags, FormatFlags {
  attr?: unknown;
  exec?: string;
  zone?: string;
  dc?: string;
}

export function registerRequire(cli: CAC): void {
  withFormat(withDiscoAccess(cli.command('require <name>', 'Watch the endpoints of a name, or of a pattern such as "*.*.blog.prod"')))
    .option('--attr <key=value>', 'Only endpoints with this attribute; the value may use * (repeatable)')
    .option('--exec <command>', 'Run a shell command on start and on every change, with SCS_REQUIRE_* set')
    .option('--zone <name>', "This host's zone: endpoints are listed nearest first, as an agent lists them (env SCS_ZONE)")
    .option('--dc <name>', "This host's data center, for nearest first (env SCS_DC)")
    .example('scs require mysql.db.blog.prod --attr az=us-east-1a --exec ./reconfigure.sh')
    .example("scs require '*.*.blog.prod' --json")
    .action(async (nameText: string, flags: RequireFlags) => {
      const name = parseWith(PatternSchema, nameText, 'name');
      // A pattern's endpoints have several names: each line says whose it is.
      const describe = hasWildcard(name) ? (e: Endpoint) => `${e.name} ${describeEndpoint(e)}` : describeEndpoint;
      const attrs = parseAttributes(flags.attr);
      // JSON here is a stream: one object per line, the initial set and then each change.
      const json = outputFormat(flags) === 'json';
      const client = await connectDiscoWaiting(flags, `scs require ${name}`);
      let watch: Watch | undefined;
      const exec = flags.exec === undefined ? undefined : execRunner(flags.exec, parsePattern(name), () => watch?.endpoints ?? []);
      const print = (event: WatchEvent) => {
        if (json) {
          printJsonLine({ event: 'changed', name, ...event });
          return;
        }
        for (const endpoint of event.drop) process.stdout.write(`- ${describe(endpoint)}\n`);
        for (const endpoint of event.add) process.stdout.write(`+ ${describe(endpoint)}\n`);
      };
      const watched = await client.require({ name, attrs }, (event) => {
        print(event);
        exec?.trigger();
      });
      watch = orderedWatch(watched, hostPlace(flags));
      const stopped = untilSignal(); // Before the first output, as in `scs provide`.
      if (json) {
        printJsonLine({ event: 'initial', name, endpoints: watch.endpoints });
      } else {
        consola.info(`${name}: ${watch.endpoints.length} endpoint(s)`);
        for (const endpoint of watch.endpoints) process.stdout.write(`  ${describe(endpoint)}\n`);
      }
      exec?.trigger();
      client.on('disconnected', (reason) => consola.warn(`lost disco (${reason}); reconnecting`));
      await stopped;
      exec?.cancel();
      await exec?.idle();
      await client.close();
    });
}

/** `--zone` and `--dc` (or SCS_ZONE and SCS_DC, as the agent reads them): where this host is. */
function hostPlace(flags: RequireFlags): Place {
  const zone = flags.zone ?? process.env.SCS_ZONE;
  const dc = flags.dc ?? process.env.SCS_DC;
  return placeOf({ ...(zone === undefined ? {} : { zone: String(zone) }), ...(dc === undefined ? {} : { dc: String(dc) }) });
}

/**
 * `SCS_REQUIRE_<ENDPOINT>` for the endpoint label of the pattern; when that label is `*`, one set
 * for each endpoint label among the current endpoints (none for a label that has none left).
 */
function execEnv(pattern: NamePattern, endpoints: readonly Endpoint[]): Record<string, string> {
  if (pattern.endpoint !== WILDCARD) return requireEnv(pattern.endpoint, endpoints);
  const byLabel = new Map<string, Endpoint[]>();
  for (const endpoint of endpoints) {
    const label = parseName(endpoint.name).endpoint;
    const same = byLabel.get(label);
    if (same) same.push(endpoint);
    else byLabel.set(label, [endpoint]);
  }
  return Object.assign({}, ...[...byLabel].map(([label, same]) => requireEnv(label, same)));
}

function execRunner(command: string, pattern: NamePattern, current: () => Endpoint[]): CoalescingRunner {
  return new CoalescingRunner(async () => {
    // The command is the user's, not disco's: it gets the endpoints, not the token this client uses.
    const { SCS_TOKEN: _token, ...inherited } = process.env;
    const env = { ...inherited, ...execEnv(pattern, current()) };
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], { env, stdio: 'inherit' });
      child.on('error', (error) => {
        consola.error(`--exec: ${error.message}`);
        resolve(null);
      });
      child.on('exit', (status) => resolve(status));
    });
    if (code !== 0 && code !== null) consola.warn(`--exec command exited with status ${code}`);
  });
}
