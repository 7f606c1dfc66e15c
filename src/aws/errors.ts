// What goes wrong on the AWS side (the EC2 API, the metadata service, the settings that reach
// them), for volumes and networks alike; each said in one sentence, as they report it.

/** An EC2 call, or what it needs, that failed. */
export class Ec2Error extends Error {}

/** The AWS error codes of a reached limit, said plainly. */
const QUOTA = new Set([
  'VolumeLimitExceeded',
  'MaxIOPSLimitExceeded',
  'InsufficientVolumeCapacity',
  'AttachmentLimitExceeded',
  'NetworkInterfaceLimitExceeded',
]);

/** An EC2 API failure as one sentence: what could not be done, and why, with a reached quota said plainly. */
export function explainEc2Error(error: Error, what: string): Ec2Error {
  const firstLine = error.message.split('\n')[0];
  if (QUOTA.has(error.name)) return new Ec2Error(`cannot ${what}: the account's quota is reached (${error.name}: ${firstLine})`);
  return new Ec2Error(`cannot ${what}: ${error.name}: ${firstLine}`);
}
