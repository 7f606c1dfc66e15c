// Plain-text output for people; every listing also has `--format json` (alias `--json`) for
// programs: one JSON document, or one object per line for a stream. Its shape is stable (docs/cli.md).

import type { Command } from 'cac';
import { formatHostPort } from '../src/address.ts';
import type { Endpoint } from '../src/client/client.ts';
import { UsageError } from '../src/errors.ts';

export const FORMATS = ['table', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export interface FormatFlags {
  format?: string;
  json?: boolean;
}

/** `--format json|table` and its alias `--json`, for a command that lists. */
export function withFormat(command: Command): Command {
  return command.option('--format <format>', 'Output format: table or json (default: table)').option('--json', 'Same as --format json');
}

/** The format asked for, checked: an unknown one is a usage error. */
export function outputFormat(flags: FormatFlags): Format {
  const format = flags.format === undefined ? undefined : String(flags.format);
  if (format !== undefined && !FORMATS.includes(format as Format)) {
    throw new UsageError(`--format: expected table or json, not "${format}"`);
  }
  if (flags.json && format === 'table') throw new UsageError('--json and --format table ask for different things; give one');
  return flags.json ? 'json' : ((format as Format | undefined) ?? 'table');
}

/** One JSON document (a listing), indented for people who read it too. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One JSON object per line: what a stream (`require --json`, later `events`) prints, one per change. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}

export function formatAttributes(attrs: Record<string, string>): string {
  return Object.entries(attrs)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

export function describeEndpoint(endpoint: Endpoint): string {
  const attributes = formatAttributes(endpoint.attrs);
  const where = `${formatHostPort(endpoint.host, endpoint.port)}${endpoint.protocol === 'udp' ? '/udp' : ''}`;
  return attributes ? `${where} (${attributes})` : where;
}
