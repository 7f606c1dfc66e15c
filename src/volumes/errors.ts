/** A volume or network that cannot be provisioned, attached or removed, said in one sentence. */
export class VolumeError extends Error {}
