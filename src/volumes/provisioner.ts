// One interface for every volume method: the agent provisions and attaches a service's volumes
// before it creates the container, and detaches (down) or deprovisions (down --volumes) them after.
// Types only: each method is its own file, and methods.ts picks one for a compiled volume.

import type { ConsolaInstance } from 'consola';
import type { CompiledVolume } from '../manifest/compiled.ts';

/** What a container mounts: a Docker volume by name, or a host path bound in. */
export interface VolumeMount {
  readonly type: 'volume' | 'bind';
  readonly source: string;
}

export interface VolumeProvisioner {
  readonly method: CompiledVolume['method'];
  /** Finds the volume, or creates it; changes nothing when it is there already. */
  provision(): Promise<void>;
  /** Whether provision() would change nothing: it exists, as wanted. Looks only. */
  provisioned(): Promise<boolean>;
  /** Makes it usable on this host (attach, mount); says what the container mounts. */
  attach(): Promise<VolumeMount>;
  /** Lets go of it on this host (unmount, detach); its data stays. */
  detach(): Promise<void>;
  /** Deletes it, data and all: `down --volumes`. Detaches first. */
  deprovision(): Promise<void>;
  /** Makes the one look-alike this deployment's (`scs adopt`), for methods whose volumes scs finds by tags (aws-ec2-ebs). */
  adopt?(): Promise<boolean>;
  /** One line for `scs ps`, e.g. "vol-0abc attached /dev/xvdf at /var/lib/scs/ebs/...". */
  status(): Promise<string>;
}

/** What the Docker-backed methods need of the engine. */
export interface VolumeEngine {
  ensureVolume(name: string, labels: Record<string, string>, driver?: DockerVolumeDriver): Promise<void>;
  volumeExists(name: string): Promise<boolean>;
  removeVolume(name: string): Promise<void>;
  /** A volume's labels; undefined when there is no such volume. */
  volumeLabels(name: string): Promise<Record<string, string> | undefined>;
  /** The driver options a volume was created with; undefined when there is no such volume. */
  volumeOptions?(name: string): Promise<Record<string, string> | undefined>;
}

/** A Docker volume driver and its options, e.g. the local driver mounting NFS. */
export interface DockerVolumeDriver {
  readonly driver: string;
  readonly options: Record<string, string>;
}

export interface VolumeContext {
  readonly engine: VolumeEngine;
  /** The labels of what this agent owns, put on the Docker volumes it creates (and, as owner tags, on its EBS volumes). */
  readonly labels: Record<string, string>;
  readonly logger: ConsolaInstance;
  /** Where the AWS methods' settings come from: the process environment unless a test says otherwise. */
  readonly env?: NodeJS.ProcessEnv;
}
