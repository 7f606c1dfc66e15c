// What an Agent is given: its engine and disco, its timings, and the collaborators that tell it what
// to run here (placement, instances). run-agent.ts builds them; the fast tests give their own.

import type { ConsolaInstance } from 'consola';
import type { CompiledService } from '../manifest/compiled.ts';
import type { Place } from '../registry/nearest.ts';
import type { ContainerEngine } from './container-engine.ts';
import type { Discovery } from './discovery.ts';
import type { InstancesHere } from './instances-here.ts';
import type { AgentMeter } from './meter.ts';
import type { PlacementHere } from './placement-here.ts';
import type { Step } from './plan.ts';
import type { NetworkAttachment } from './spec.ts';
import type { SpreadHere } from './spread-here.ts';

export interface AgentOptions {
  readonly engine: ContainerEngine;
  readonly client: Discovery;
  /** The address provided for published ports: the host as other containers and hosts reach it. */
  readonly advertise: string;
  readonly waitTimeoutMs: number;
  /** Quiet time that folds a burst of endpoint changes into one pass. */
  readonly debounceMs: number;
  /** How long an empty set of endpoints is held back before it is applied (see urgency.ts). */
  readonly holdMs?: number;
  readonly logger: ConsolaInstance;
  /** Told of plan steps and live updates, for the metrics; nothing is counted when absent. */
  readonly meter?: AgentMeter;
  readonly disco: string;
  readonly dns?: string;
  /** This agent's part of the stack; by default the host's name. */
  readonly project?: string;
  /** The services it runs; all of the stack's when empty. */
  readonly only?: readonly string[];
  /** Where `scs up`, `stop`, `start` and `restart` reach it, for the state file. */
  readonly control?: string;
  /** The stack network and the resolver served on it; Docker's default bridge without. */
  readonly attachment?: NetworkAttachment;
  /** This deployment's random id (src/agent/stack-id.ts), put on the volumes and ENIs it creates. */
  readonly stackId?: string;
  /** Where it writes its state; by default its project's and stack's state folder (state-folder.ts). */
  readonly stateFolder?: string;
  /** Told after every change of what runs (the host's DNS reads `localEndpoints` again). */
  readonly onChange?: () => void;
  /** Told of every plan step run on a service (by its name in the stack) and which instance of it, for disco's events. */
  readonly onStep?: (service: string, step: Step, ok: boolean, error: string | undefined, instance: number) => void;
  /** The services' desired placement in disco: it runs those placed on it. Every service it is given when absent. */
  readonly placement?: PlacementHere;
  /** The stack's instances records in disco: the files' counts are set there, and drains followed. */
  readonly instances?: InstancesHere;
  /** Which instances of a spread service (`spread:`) run on this host, from the live members of the stack. */
  readonly spread?: SpreadHere;
  /** Readies what a service placed on it later needs before it starts (its image). */
  readonly prepare?: (service: CompiledService) => Promise<void>;
  /** Where this host is (`--zone`, `--dc`): put on what it provides, and what it requires is ordered nearest first from it. */
  readonly place?: Place;
}
