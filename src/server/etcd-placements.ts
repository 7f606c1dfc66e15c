// The placements kept in etcd, mirrored into this server's PlacementBook: each under
//   <prefix>placement/<service>   {"service", "target", "cause", "by", "since", ...}
// WITHOUT a lease, so that it outlives every session and every restart of every server. Its revision
// is etcd's own version of the key (one more per write), so a conditional `place` is one comparison
// in the transaction that writes the whole batch, all or none. Not under `p/`, which holds provisions.
// What etcd holds is read with the wire's own schema: anyone who can write to etcd is one more client.

import * as v from 'valibot';
import { describeIssues } from '../protocol/fields.ts';
import { type Place, type Placement, PlacementSchema } from '../protocol/placement.ts';
import type { EtcdClient, WatchEvent } from './etcd-client.ts';
import { safeJson } from './etcd-values.ts';
import { conflict, type PlacementBook, type Placer } from './placement-book.ts';

/** Where placements live under the prefix. */
export const PLACEMENT_DIR = 'placement/';

export class EtcdPlacements {
  readonly dir = PLACEMENT_DIR;
  /** The revision each mirrored key was last written at: the answer to this server's own write and its watch event may come in either order. */
  private readonly modRevisions = new Map<string, number>();

  constructor(
    private readonly etcd: EtcdClient,
    private readonly prefix: string,
    private readonly book: PlacementBook,
  ) {}

  keyOf(service: string): string {
    return `${this.prefix}${PLACEMENT_DIR}${service}`;
  }

  /** The etcd keys of the placements mirrored, so that a full read without one lets it go. */
  mirrored(): Iterable<string> {
    return this.modRevisions.keys();
  }

  /** Applies one event on a key under `<prefix>placement/`; returns why it was skipped, if it was. */
  apply(event: WatchEvent): string | undefined {
    const service = event.kv.key.slice(this.prefix.length + PLACEMENT_DIR.length);
    if (event.kv.modRevision <= (this.modRevisions.get(event.kv.key) ?? 0)) return undefined;
    const read = event.type === 'put' ? this.read(service, event) : undefined;
    // A value that breaks the rules replaces the last one all the same: what it said is no longer so.
    if (!read || typeof read === 'string') {
      this.modRevisions.delete(event.kv.key);
      this.book.forget(service);
      return read;
    }
    this.modRevisions.set(event.kv.key, event.kv.modRevision);
    this.book.keep(read);
    return undefined;
  }

  /**
   * Writes `places` in one transaction, each conditional one compared on its key's version; the
   * mirror has them once etcd answers. Throws `conflict` for the first whose revision is not etcd's.
   */
  async place(places: readonly Place[], placer: Placer): Promise<Placement[]> {
    this.book.checkRoom(places);
    const conditional = places.filter((place) => place.revision !== undefined);
    const values = places.map(({ revision: _condition, ...place }) => ({ ...place, ...placer }));
    const result = await this.etcd.putIf(
      conditional.map((place) => ({ key: this.keyOf(place.service), version: place.revision! })),
      values.map((value) => ({ key: this.keyOf(value.service), value: JSON.stringify(value) })),
    );
    if (!result.written) {
      for (const place of conditional) {
        const now = result.now.find((kv) => kv.key === this.keyOf(place.service));
        if ((now?.version ?? 0) === place.revision) continue;
        const stored = now && this.read(place.service, { type: 'put', kv: now });
        throw conflict(place, typeof stored === 'object' ? stored : undefined);
      }
      // Each held when etcd read them back: another write came between; the client may ask again.
      throw conflict(conditional[0]!, this.book.get(conditional[0]!.service));
    }
    return values.map((value, at) => {
      const kv = { key: this.keyOf(value.service), value: JSON.stringify(value), modRevision: result.revision, lease: '0' };
      const version = (result.before[at]?.version ?? 0) + 1;
      this.apply({ type: 'put', kv: { ...kv, version } });
      return { ...value, revision: version };
    });
  }

  private read(service: string, event: WatchEvent): Placement | string {
    const json = safeJson(event.kv.value);
    if (typeof json !== 'object' || json === null) return 'its value is not a JSON object';
    const parsed = v.safeParse(PlacementSchema, { ...json, revision: event.kv.version });
    if (!parsed.success) return describeIssues(parsed.issues);
    if (parsed.output.service !== service) return `it holds the placement of ${parsed.output.service}, not of ${service}`;
    if (!this.book.hasRoomFor(service)) return `this disco server holds its maximum of placements`;
    return parsed.output;
  }
}
