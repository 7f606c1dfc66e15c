// The compiled stack: what `scs compile` prints and the agent runs, every service resolved and
// defaulted, in start order. src/manifest/compile.ts makes it from the manifests.

import type { Spread } from '../placement/spread.ts';
import type { PlacementTarget } from '../protocol/placement.ts';
import type { EndpointOrder } from '../registry/nearest.ts';
import type { AttributeFilter, Attributes, Protocol } from '../registry/types.ts';

interface CompiledVolumeBase {
  readonly name: string;
  readonly target: string;
  /** Usable by two containers at once: no obstacle to a make-before-break replacement. */
  readonly shareable: boolean;
  /** What the container mounts: the Docker volume's name (named, nfs), or an absolute host path (local, aws-ec2-ebs). */
  readonly source: string;
}

export interface NfsOptions {
  readonly server: string;
  readonly path: string;
  readonly version: string;
  readonly options: string | undefined;
}

export interface EbsOptions {
  /** GiB. */
  readonly size: number;
  readonly type: string;
  readonly iops: number | undefined;
  readonly encrypted: boolean;
  readonly device: string;
  readonly filesystem: 'ext4' | 'xfs';
  /** `blank` (the default): make the filesystem only on a blank disk; `force`: also over data. */
  readonly format: 'blank' | 'force';
  /** The tags it is found by: stack, environment, service and label. */
  readonly tags: Record<string, string>;
}

export interface EniOptions {
  readonly subnet: string;
  readonly securityGroups: string[];
  readonly deviceIndex: number;
  /** The tags it is found by: stack, environment and service. */
  readonly tags: Record<string, string>;
}

/** A volume of a service; `method` says which provisioner (src/volumes/) makes it. */
export type CompiledVolume = CompiledVolumeBase &
  (
    | { readonly method: 'named' | 'local' }
    | { readonly method: 'nfs'; readonly nfs: NfsOptions }
    | { readonly method: 'aws-ec2-ebs'; readonly ebs: EbsOptions }
  );

/** A host file mounted read-only at `target`; only its path is in the compiled stack, never its content. */
export interface CompiledSecret {
  readonly name: string;
  readonly source: string;
  readonly target: string;
  /** `scs up` makes the file, random, when it is missing (src/agent/secrets.ts). */
  readonly generate?: boolean;
}

export interface CompiledProvide {
  readonly endpoint: string;
  readonly name: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly publish: number | undefined;
  /** The one host address the port is published on (`publish.address`); by default loopback and the advertised address. */
  readonly publishAddress?: string;
  readonly attributes: Attributes;
}

export interface CompiledRequire {
  readonly endpoint: string;
  readonly name: string;
  readonly filter: AttributeFilter;
  /** Run inside the container when the endpoints change; absent: restart with the new environment. */
  readonly liveupdate: string[] | undefined;
  /** How its endpoints are listed (src/registry/nearest.ts): nearest first unless `stable`; absent when the file says nothing. */
  readonly order?: EndpointOrder;
}

/** What the agent asks of an instance (docs/manifest.md, "Health checks"). */
export type HealthProbe =
  /** GET `path` at the address the endpoint is provided at: 200 to 399 passes. */
  | { readonly kind: 'http'; readonly path: string; readonly endpoint: string }
  /** A TCP connection to the address the endpoint is provided at. */
  | { readonly kind: 'tcp'; readonly endpoint: string }
  /** A command run inside the container: exit status 0 passes. */
  | { readonly kind: 'exec'; readonly command: string[] }
  /** No check at all (Compose's `["NONE"]`): the image's healthcheck is ignored too, and running is ready. */
  | { readonly kind: 'none' };

/** The stack file's health check of a service, run by the agent; not part of the config hash. */
export interface CompiledHealth {
  readonly probe: HealthProbe;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive failures that make a healthy instance unhealthy. */
  readonly retries: number;
  /** Failures of a new instance do not count this long after it starts. */
  readonly startPeriodMs: number;
  /** How often a new instance is checked until its first success. */
  readonly startIntervalMs: number;
  /** More than `changes` changes of state within `withinMs` hold the instance out for `holdMs`. */
  readonly flap: { readonly changes: number; readonly withinMs: number; readonly holdMs: number };
}

export interface CompiledService {
  /** Its key in `services:`. */
  readonly name: string;
  readonly image: {
    /** Both '' when compiled only to look (CompileOptions.hashImages false). */
    readonly tag: string;
    readonly hash: string;
    readonly context: string;
    /** The generated Dockerfile, or undefined when the folder's own is used. */
    readonly dockerfile: string | undefined;
    readonly dockerfilePath: string;
    /** Files of the context that stay out of it: the stack's secrets (absolute paths). */
    readonly leaveOut?: readonly string[];
  };
  readonly container: {
    readonly name: string;
    readonly env: Record<string, string>;
    /** `none` for a container whose only interface is an ENI, moved in by the agent once it runs. */
    readonly network: 'bridge' | 'host' | 'none';
    /** The ENI it gets: `network: {method: aws-ec2-eni}`. */
    readonly eni?: EniOptions;
    readonly restart: 'no' | 'on-failure' | 'always' | 'unless-stopped';
    readonly volumes: CompiledVolume[];
    /** Absent in compiled stacks made before secrets existed (e.g. hand-written test ones): none. */
    readonly secrets?: CompiledSecret[];
    /** The image's healthcheck command, which scs also runs itself to notice readiness early. */
    readonly healthcheck: string[] | undefined;
  };
  /**
   * How a replacement goes: `start-first` (the new container is up and provided before the old one
   * is dropped, drained and stopped) when two can run at once; else `stop-first`, with the reason.
   */
  readonly replace: { readonly order: 'start-first' | 'stop-first'; readonly why?: string; readonly drainMs: number };
  readonly provides: CompiledProvide[];
  readonly requires: CompiledRequire[];
  /** Services of this stack it requires, which must be up first. */
  readonly dependsOn: string[];
  /** The stack file's health check, run by the agent in place of the image's; absent: the image's, by Docker. */
  readonly health?: CompiledHealth;
  /** Where the stack files place it at first (`placement:`); every agent that runs the stack may run it when absent. */
  readonly placement?: PlacementTarget;
  /** How many instances the stack files ask for (`replicas:`); disco's record, when it has one, decides (src/placement/replicas.ts). */
  readonly replicas?: number;
  /** How its instances spread over the hosts that may run it (`spread:`); absent: every host that runs it runs them all. */
  readonly spread?: Spread;
  /** Which instance this is, set by the agent from 2 on (src/agent/instances.ts): instance 1 has none. */
  readonly instance?: number;
}

export interface CompiledStack {
  readonly stack: string;
  readonly environment: string;
  readonly directory: string;
  readonly files: readonly string[];
  readonly disco: string | undefined;
  readonly advertise: string | undefined;
  /** DNS for the containers: `none`, or where names outside scs's zones go (the host's resolvers when absent). */
  readonly dns?: 'none' | { readonly upstreams: readonly string[] | undefined };
  /** The stack network's subnet, pinned by the stack file; Docker picks one when absent. */
  readonly subnet?: string | undefined;
  /** In start order. */
  readonly services: CompiledService[];
}
