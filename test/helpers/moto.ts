// moto's EC2 server on 127.0.0.1, started by the test that needs it: the real @aws-sdk/client-ec2
// talks to it, and so does the metadata lookup (moto serves a stand-in IMDS at the same address).

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { EC2Client } from '@aws-sdk/client-ec2';
import { runInstance } from './ec2-calls.mjs';
import { startOnPortOutsideEphemeral } from './ports.ts';

export const MOTO_REGION = 'us-east-1';
/** Credentials moto accepts; they never leave the machine. */
export const MOTO_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: MOTO_REGION };

export interface Moto {
  readonly endpoint: string;
  readonly ec2: EC2Client;
  /** A running instance in the zone, standing in for a host of the stack. */
  runInstance(zone: string): Promise<string>;
  stop(): Promise<void>;
}

/** Why moto cannot be used here, or undefined when it can. */
export function motoProblem(): string | undefined {
  try {
    execFileSync('moto_server', ['--help'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'moto_server is not installed (pip install "moto[server]")';
  }
}

/** moto_server takes a port number only: one from outside the ephemeral range, another while it is taken. */
export function startMoto(): Promise<Moto> {
  return startOnPortOutsideEphemeral(startMotoOn);
}

async function startMotoOn(port: number): Promise<Moto> {
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (log = (log + text).slice(-2000)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with status ${child.exitCode}: ${log.trim()}`);
    const up = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer at ${endpoint} within 30 s: ${log.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const ec2 = new EC2Client({
    region: MOTO_REGION,
    endpoint,
    credentials: { accessKeyId: MOTO_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
  });
  return {
    endpoint,
    ec2,
    runInstance: (zone) => runInstance(ec2, zone),
    async stop() {
      ec2.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
