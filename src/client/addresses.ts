// The disco servers a client may use, in the order given. A client stays on one while it works and
// moves to the next when its connection is lost or cannot be opened: servers that share one
// registry (etcd, docs/ha.md) are interchangeable, and a session resumes on any of them. The first
// is home (the server on the client's own host, or nearest): a client that had to move away goes
// back once home welcomes it again, so that one outage does not leave it leaning on a far server.

import type { HostPort } from '../address.ts';

export class AddressRing {
  private index = 0;
  /** Addresses that failed in a row since one last worked. */
  private failures = 0;

  constructor(readonly addresses: readonly HostPort[]) {
    if (addresses.length === 0) throw new Error('expected at least one disco address');
  }

  get current(): HostPort {
    return this.addresses[this.index]!;
  }

  get home(): HostPort {
    return this.addresses[0]!;
  }

  get atHome(): boolean {
    return this.index === 0;
  }

  /** The current address failed: the next one is current now. True once every address has failed in turn. */
  failed(): boolean {
    this.index = (this.index + 1) % this.addresses.length;
    this.failures++;
    return this.failures >= this.addresses.length;
  }

  /** The current address works. */
  worked(): void {
    this.failures = 0;
  }

  /** Home works again: it is current. */
  wentHome(): void {
    this.index = 0;
    this.failures = 0;
  }
}
