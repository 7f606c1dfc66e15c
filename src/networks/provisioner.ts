// One interface for a network a container gets from outside Docker: provision it (find or create),
// attach it to this host, put it into the container once it runs, detach it (down), deprovision it
// (down --volumes). The `stack` bridge network is Docker's own and stays in src/agent/stack-network.ts.
// Types only: methods.ts picks the provisioner for a service.

import type { ConsolaInstance } from 'consola';

/** What the container's network namespace gets: an interface, its address and a default route. */
export interface NetnsSetup {
  /** The interface's MAC address, by which it is found on the host. */
  readonly mac: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly gateway: string;
}

export interface NetworkProvisioner {
  readonly method: 'aws-ec2-eni';
  /** Finds the network interface by its tags, or creates it. */
  provision(): Promise<void>;
  /** Whether provision() would change nothing: it exists, as wanted. Looks only. */
  provisioned(): Promise<boolean>;
  /** Attaches it to this host; says what the container gets. */
  attach(): Promise<NetnsSetup>;
  /** Moves the attached interface into the network namespace of the process `pid`, with its address and route. */
  enter(pid: number): Promise<NetnsSetup>;
  /** Detaches it from this host; it stays, with its address. */
  detach(): Promise<void>;
  /** Deletes it: `down --volumes`. Detaches first. */
  deprovision(): Promise<void>;
  /** Makes the one look-alike this deployment's (`scs adopt`), when that is safe; says why not otherwise. */
  adopt(): Promise<boolean>;
  /** One line for `scs ps`, e.g. "eni-0abc attached 10.0.1.20". */
  status(): Promise<string>;
}

export interface NetworkContext {
  /** The labels of what this agent owns: its project and stack id become the owner tags of the ENIs it makes. */
  readonly labels: Record<string, string>;
  readonly logger: ConsolaInstance;
  readonly env?: NodeJS.ProcessEnv;
}
