// Where the AWS methods find EC2 and this instance: the SDK's usual credentials and region, the
// instance metadata service (IMDSv2) for the instance id and availability zone, and overrides in
// the environment for hosts off EC2 and for tests (docs/volumes.md).

import { EC2Client } from '@aws-sdk/client-ec2';
import * as v from 'valibot';
import { Ec2Error } from './errors.ts';

const Url = v.pipe(v.string(), v.url('expected a URL like http://127.0.0.1:5000'));
const EnvSchema = v.object({
  SCS_EC2_ENDPOINT: v.optional(Url),
  SCS_EC2_IMDS_ENDPOINT: v.optional(Url, 'http://169.254.169.254'),
  SCS_EC2_INSTANCE_ID: v.optional(v.pipe(v.string(), v.regex(/^i-[0-9a-z]+$/, 'expected an instance id like i-0abc123'))),
  SCS_EC2_AZ: v.optional(v.pipe(v.string(), v.regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'expected an availability zone like eu-west-1a'))),
  SCS_EBS_DEVICE_ROOT: v.optional(v.pipe(v.string(), v.startsWith('/', 'expected an absolute path like /dev')), '/dev'),
  SCS_EC2_WAIT_SECONDS: v.optional(v.pipe(v.string(), v.regex(/^\d+$/, 'expected whole seconds'), v.transform(Number)), '120'),
  AWS_ACCESS_KEY_ID: v.optional(v.string()),
  AWS_SECRET_ACCESS_KEY: v.optional(v.string()),
  AWS_SESSION_TOKEN: v.optional(v.string()),
  AWS_REGION: v.optional(v.string()),
  AWS_DEFAULT_REGION: v.optional(v.string()),
});

export interface Ec2Settings {
  /** The EC2 API: the SDK's own for the region when absent. */
  readonly endpoint: string | undefined;
  readonly imds: string;
  readonly instanceId: string | undefined;
  readonly availabilityZone: string | undefined;
  readonly region: string | undefined;
  /** Keys given in the environment the settings were read from; else the SDK's own chain (profile, instance role). */
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  /** Where attached disks appear: /dev on a real instance. */
  readonly deviceRoot: string;
  /** How long an attach, a detach or a new volume may take. */
  readonly waitMs: number;
}

export function ec2Settings(env: NodeJS.ProcessEnv): Ec2Settings {
  const parsed = v.safeParse(EnvSchema, env);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new Ec2Error(`${v.getDotPath(issue) ?? 'the environment'}: ${issue.message}`);
  }
  const e = parsed.output;
  return {
    endpoint: e.SCS_EC2_ENDPOINT,
    imds: e.SCS_EC2_IMDS_ENDPOINT.replace(/\/$/, ''),
    instanceId: e.SCS_EC2_INSTANCE_ID,
    availabilityZone: e.SCS_EC2_AZ,
    region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION,
    credentials:
      e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
        ? {
            accessKeyId: e.AWS_ACCESS_KEY_ID,
            secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
            ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}),
          }
        : undefined,
    deviceRoot: e.SCS_EBS_DEVICE_ROOT,
    waitMs: e.SCS_EC2_WAIT_SECONDS * 1000,
  };
}

export interface Ec2Instance {
  readonly id: string;
  readonly availabilityZone: string;
}

/** This instance: the overrides when both are set, else what the metadata service says. */
export async function thisInstance(settings: Ec2Settings): Promise<Ec2Instance> {
  if (settings.instanceId && settings.availabilityZone) return { id: settings.instanceId, availabilityZone: settings.availabilityZone };
  try {
    const token = await imds(settings, '/latest/api/token', 'PUT', { 'x-aws-ec2-metadata-token-ttl-seconds': '300' });
    const get = (path: string) => imds(settings, path, 'GET', { 'x-aws-ec2-metadata-token': token });
    return {
      id: settings.instanceId ?? (await get('/latest/meta-data/instance-id')),
      availabilityZone: settings.availabilityZone ?? (await get('/latest/meta-data/placement/availability-zone')),
    };
  } catch (error) {
    throw new Ec2Error(
      `cannot learn this instance's id and availability zone from the metadata service at ${settings.imds} (${(error as Error).message}); off EC2, set SCS_EC2_INSTANCE_ID and SCS_EC2_AZ`,
    );
  }
}

async function imds(settings: Ec2Settings, path: string, method: string, headers: Record<string, string>): Promise<string> {
  const response = await fetch(`${settings.imds}${path}`, { method, headers, signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return (await response.text()).trim();
}

export function ec2Client(settings: Ec2Settings, instance: Ec2Instance): EC2Client {
  // An AZ is its region and a letter: the instance's own region is the right one by default.
  const region = settings.region ?? instance.availabilityZone.replace(/[a-z]$/, '');
  return new EC2Client({
    region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  });
}
