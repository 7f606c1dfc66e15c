import type { Provision } from './types.ts';

/**
 * What readers of the registry (DNS, each host's mirror) need of it: read-only, so a reader can
 * never change it. The in-memory registry, the etcd mirror and a host's local view implement it.
 */
export interface RegistryReader {
  /** Bumped by every change, so a reader can tell a stale view from a fresh one. */
  readonly version: number;
  list(): Provision[];
  /** Every provision in no particular order: cheaper than `list` for a reader that puts them in its own order. */
  listAnyOrder?(): Provision[];
  addListener(listener: (kind: 'add' | 'drop', provision: Provision) => void): void;
}
