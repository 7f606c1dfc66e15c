// EC2 on the harness, for a stack whose volumes are on EBS: moto's EC2 server in DC A's router
// namespace (reachable from every host, as AWS's API is from every instance, and from no address
// outside the harness), one instance per host in its data center's zone, and a loop device standing
// in for each disk. The hosts share one kernel, so every host sees every loop device: "attached to
// one host" is told by moto's attachment records and by each host's mount table, which this reads.

import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HARNESS, type Host } from './harness.ts';
import { MOTO_CREDENTIALS } from './moto.ts';

const run = promisify(execFile);
const EC2 = fileURLToPath(new URL('./ec2.mjs', import.meta.url));
/** DC A's router: its address on DC A's bridge, where every host's traffic to DC A's gateway goes. */
const ROUTER = { namespace: 'scsmh-ra', address: '10.201.1.1' };
/** A fixed port: the router's namespace is the harness's own, and nothing else listens there. */
const PORT = 5000;
export const MOTO_ENDPOINT = `http://${ROUTER.address}:${PORT}`;
/** Each data center is one zone: h1 and h3 in DC A, h2 in DC B. */
export const ZONE_OF: Record<Host, string> = { h1: 'us-east-1a', h2: 'us-east-1b', h3: 'us-east-1a' };

export interface EbsVolume {
  readonly id: string;
  readonly zone: string;
  readonly tags: Record<string, string>;
  readonly attachments: ReadonlyArray<{ readonly instance: string; readonly state: string }>;
}

export interface HarnessAws {
  /** Each host's instance id. */
  readonly instances: Record<Host, string>;
  /** The loop device of each disk, by its device letter (`f` for /dev/xvdf). */
  readonly disks: Record<string, string>;
  /** The environment `scs` runs with on `host`: moto's endpoint and credentials, its instance, zone and device folder. */
  env(host: Host): Record<string, string>;
  /** The stack's volumes, by moto's records. */
  volumes(stack: string): Promise<EbsVolume[]>;
  /** The loop devices mounted on `host`, by its own mount table: device → mount points. */
  mounts(host: Host): Promise<Map<string, string[]>>;
  stop(): Promise<void>;
}

/** moto in the router's namespace, an instance per host, and a loop device of `sizes[letter]` per disk. */
export async function startHarnessAws(dir: string, sizes: Record<string, string>): Promise<HarnessAws> {
  const env = { ...process.env, ...MOTO_CREDENTIALS };
  const moto: ChildProcess = spawn('ip', ['netns', 'exec', ROUTER.namespace, 'moto_server', '-H', ROUTER.address, '-p', String(PORT)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  moto.stderr!.setEncoding('utf8').on('data', (text: string) => (log = (log + text).slice(-2000)));
  const ec2 = async (...args: string[]) => {
    const { stdout } = await run('ip', ['netns', 'exec', ROUTER.namespace, process.execPath, EC2, MOTO_ENDPOINT, ...args], { env });
    return JSON.parse(stdout) as unknown;
  };
  const devices = join(dir, 'dev');
  const disks: Record<string, string> = {};
  const stop = async () => {
    if (moto.exitCode === null && moto.signalCode === null) {
      const exited = new Promise((resolve) => moto.once('exit', resolve));
      moto.kill('SIGTERM');
      await exited;
    }
    // A disk still mounted in a host's namespace (an agent that did not let go) is detached by the
    // kernel once the harness's namespaces are gone: autoclear, which `losetup -d` sets when busy.
    for (const loop of Object.values(disks)) execFileSync('losetup', ['-d', loop], { stdio: 'ignore' });
  };
  try {
    await ec2('ready').catch((error: Error) => {
      throw new Error(`${error.message}; moto_server said: ${log.trim()}`);
    });
    const instances = {} as Record<Host, string>;
    for (const host of Object.keys(ZONE_OF) as Host[]) instances[host] = ((await ec2('run-instance', ZONE_OF[host])) as { id: string }).id;
    // One folder of device names for every host (one kernel): the name EC2 was asked to attach as,
    // pointing at the disk's loop device.
    mkdirSync(devices, { recursive: true });
    for (const [letter, size] of Object.entries(sizes)) {
      const image = join(dir, `disk-${letter}.img`);
      execFileSync('truncate', ['-s', size, image]);
      disks[letter] = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
      symlinkSync(disks[letter], join(devices, `xvd${letter}`));
    }
    return {
      instances,
      disks,
      env: (host) => ({
        ...MOTO_CREDENTIALS,
        SCS_EC2_ENDPOINT: MOTO_ENDPOINT,
        SCS_EC2_IMDS_ENDPOINT: MOTO_ENDPOINT,
        SCS_EC2_INSTANCE_ID: instances[host],
        SCS_EC2_AZ: ZONE_OF[host],
        SCS_EBS_DEVICE_ROOT: devices,
        SCS_EC2_WAIT_SECONDS: '30',
      }),
      volumes: async (stack) => (await ec2('volumes', stack)) as EbsVolume[],
      mounts: async (host) => {
        const { stdout } = await run(HARNESS, ['run', host, 'cat', '/proc/self/mounts']);
        const loops = new Set(Object.values(disks));
        const found = new Map<string, string[]>();
        for (const line of stdout.split('\n')) {
          const [source, target] = line.split(' ');
          if (source && target && loops.has(source)) found.set(source, [...(found.get(source) ?? []), target]);
        }
        return found;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
