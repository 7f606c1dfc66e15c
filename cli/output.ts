// Plain-text output for people; every listing also has --json for programs.

import { formatHostPort } from '../src/address.ts';
import type { Endpoint } from '../src/client/client.ts';

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
