// Ports for a server another process starts (etcd, moto, dnsmasq), one a test restarts on the same
// port, and addresses where nothing may listen. A port found free with listen(0) comes from the
// kernel's ephemeral range, which every outgoing connection draws from too: let go and handed on,
// it can be taken by any connection before the child binds it. A port below (or above) that range is
// taken only by something that asks for it by number, so these come from there, at random, skipping
// every port a socket holds now; a start that still finds its port taken is tried again on others.
// Node cannot hold a TCP port bound without listening (which would refuse connections and keep the
// port), so an address where nothing may listen takes one of these ports too.

import { readFileSync } from 'node:fs';

export interface PortRange {
  readonly low: number;
  readonly high: number;
}

const RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
const SOCKET_TABLES = ['/proc/net/tcp', '/proc/net/tcp6', '/proc/net/udp', '/proc/net/udp6'];
/** Below the ephemeral range, ports from here up: clear of the well-known and most registered ones. */
const FLOOR = 20_000;

/** The kernel's ephemeral range, as `ip_local_port_range` gives it ("32768\t60999"). */
export function ephemeralRange(text = readFileSync(RANGE_FILE, 'utf8')): PortRange {
  const [low, high] = text.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(low) || !Number.isInteger(high) || low! < 1 || high! > 65_535 || low! > high!) {
    throw new Error(`${RANGE_FILE} does not hold a port range: "${text.trim()}"`);
  }
  return { low: low!, high: high! };
}

/** The ranges a test takes ports from: below the ephemeral range from FLOOR (from 1024 when it starts that low), and above it. */
export function outsideEphemeral(ephemeral: PortRange): PortRange[] {
  const floor = ephemeral.low - 1 >= FLOOR ? FLOOR : 1024;
  const ranges = [
    { low: floor, high: ephemeral.low - 1 },
    { low: ephemeral.high + 1, high: 65_535 },
  ];
  return ranges.filter((range) => range.low <= range.high);
}

/** The local ports of the sockets a /proc/net/{tcp,udp}[6] table lists, in every state. */
export function localPorts(table: string): number[] {
  return table
    .split('\n')
    .slice(1)
    .map((line) => /^\s*\d+:\s+[0-9A-F]+:([0-9A-F]{4})\s/i.exec(line)?.[1])
    .filter((hex) => hex !== undefined)
    .map((hex) => Number.parseInt(hex, 16));
}

function portsHeldNow(): Set<number> {
  const held = new Set<number>();
  for (const file of SOCKET_TABLES) {
    let table = '';
    try {
      table = readFileSync(file, 'utf8');
    } catch {} // No IPv6, say.
    for (const port of localPorts(table)) held.add(port);
  }
  return held;
}

/** `count` different ports from `ranges`, at random, none of them in `taken`. */
export function pickPorts(count: number, ranges: PortRange[], taken: ReadonlySet<number>, random = Math.random): number[] {
  const size = ranges.reduce((sum, range) => sum + range.high - range.low + 1, 0);
  const picked = new Set<number>();
  for (let tries = 0; picked.size < count; tries++) {
    if (size === 0 || tries > 100 * count + 1000)
      throw new Error(`no ${count} free port(s) outside the ephemeral range (${size} there in all)`);
    let at = Math.floor(random() * size);
    const range = ranges.find((candidate) => {
      if (at <= candidate.high - candidate.low) return true;
      at -= candidate.high - candidate.low + 1;
      return false;
    })!;
    const port = range.low + at;
    if (!taken.has(port)) picked.add(port);
  }
  return [...picked];
}

/** Handed out by this process already: not given twice, so two servers of one test never share one. */
const handedOut = new Set<number>();

/** `count` ports outside the ephemeral range that no socket holds now and this process has not handed out. */
export function portsOutsideEphemeral(count: number): number[] {
  if (handedOut.size > 2000) handedOut.clear();
  const taken = portsHeldNow();
  for (const port of handedOut) taken.add(port);
  const ports = pickPorts(count, outsideEphemeral(ephemeralRange()), taken);
  for (const port of ports) handedOut.add(port);
  return ports;
}

export function portOutsideEphemeral(): number {
  return portsOutsideEphemeral(1)[0]!;
}

/** Node's EADDRINUSE, or a child process that says so (etcd, dnsmasq, unbound, moto: "address already in use"). */
export function isAddressInUse(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE' || /address (already )?in use|EADDRINUSE/i.test(error.message);
}

/**
 * Runs `start` and returns what it gives; when it fails because an address was in use, runs it again
 * (it picks fresh ports each time), up to `attempts` times in all. Any other failure is thrown at once.
 */
export async function retryOnAddressInUse<T>(start: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (!isAddressInUse(error)) throw error;
      if (attempt >= attempts) {
        throw new Error(`${attempts} starts in a row found their address in use; the last: ${(error as Error).message}`, { cause: error });
      }
    }
  }
}

/** `start` on a port from outside the ephemeral range, again on another while the port is taken. */
export function startOnPortOutsideEphemeral<T>(start: (port: number) => Promise<T>, attempts = 5): Promise<T> {
  return retryOnAddressInUse(() => start(portOutsideEphemeral()), attempts);
}
