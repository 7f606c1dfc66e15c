// An interface found by its MAC address and moved into a container's network namespace with an
// address and a default route, through iproute2 and nsenter.

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { NetworkError } from './errors.ts';
import type { NetnsSetup } from './provisioner.ts';

const run = promisify(execFile);

/** The host's interface with this MAC address; undefined when there is none (yet). */
export function interfaceByMac(mac: string, sysfs = '/sys/class/net'): string | undefined {
  for (const name of readdirSync(sysfs)) {
    try {
      if (readFileSync(`${sysfs}/${name}/address`, 'utf8').trim().toLowerCase() === mac.toLowerCase()) return name;
    } catch {
      // An interface that went away while we looked.
    }
  }
  return undefined;
}

/** Waits for the kernel to show the attached interface. */
export async function waitForInterface(mac: string, timeoutMs: number, what: string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const name = interfaceByMac(mac);
    if (name) return name;
    if (Date.now() > deadline)
      throw new NetworkError(`${what} is attached, but no interface with MAC ${mac} appeared within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The interface with this MAC inside the namespace of `pid`; undefined when it is not there. */
export async function interfaceInNetns(pid: number, mac: string): Promise<string | undefined> {
  const { stdout } = await command(
    'nsenter',
    ['-t', String(pid), '-n', 'ip', '-o', 'link', 'show'],
    `list the interfaces of process ${pid}`,
  );
  const line = stdout.split('\n').find((text) => text.toLowerCase().includes(`link/ether ${mac.toLowerCase()}`));
  return line ? /^\d+:\s+([^:@]+)/.exec(line)?.[1] : undefined;
}

/** Moves the host's interface into the namespace of `pid` (unless it is there), then sets its address, link and default route. */
export async function moveIntoNetns(pid: number, setup: NetnsSetup, timeoutMs: number, what: string): Promise<void> {
  let name = await interfaceInNetns(pid, setup.mac);
  if (!name) {
    name = await waitForInterface(setup.mac, timeoutMs, what);
    await command('ip', ['link', 'set', 'dev', name, 'netns', String(pid)], `move ${name} into process ${pid}'s network namespace`);
  }
  const inside = (args: string[], doing: string) => command('nsenter', ['-t', String(pid), '-n', 'ip', ...args], doing);
  await inside(['address', 'replace', `${setup.address}/${setup.prefixLength}`, 'dev', name], `give ${name} the address ${setup.address}`);
  await inside(['link', 'set', 'dev', name, 'up'], `bring ${name} up`);
  await inside(['route', 'replace', 'default', 'via', setup.gateway, 'dev', name], `route through ${setup.gateway} on ${name}`);
}

async function command(file: string, args: string[], what: string): Promise<{ stdout: string }> {
  try {
    return await run(file, args);
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new NetworkError(`cannot ${what}: ${(failure.stderr?.trim() || failure.message).split('\n')[0]}`);
  }
}
