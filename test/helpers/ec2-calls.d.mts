import type { EC2Client } from '@aws-sdk/client-ec2';

export function runInstance(ec2: EC2Client, zone: string): Promise<string>;
