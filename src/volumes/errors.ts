/** A volume that cannot be provisioned, attached or removed, said in one sentence. */
export class VolumeError extends Error {}
