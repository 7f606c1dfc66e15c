// A session handed down from a process that held it before (an agent restarted by its supervisor):
// what it provided and required, by the keys it used. A provide or require of the same spec claims
// the same key, so the server answers with the provision or subscription it already holds: nobody
// watching sees a drop and an add. Whatever is not claimed by the time the successor has caught up
// is let go. Pure: the client does the talking.

import type { ProvideSpec, RequireSpec } from './types.ts';

/** What a session holds, by key: enough for a successor to resume it (with the same token, within the grace). */
export interface SessionRecord {
  readonly session: string;
  readonly provisions: Readonly<Record<string, ProvideSpec>>;
  readonly watches: Readonly<Record<string, RequireSpec>>;
}

const sortedAttrs = (attrs: Record<string, string> = {}) => Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** One text per provide: equal specs give equal texts, whatever the order of their attributes. */
export const provideIdentity = (spec: ProvideSpec) =>
  JSON.stringify([spec.name, spec.host, spec.port, spec.protocol ?? 'tcp', sortedAttrs(spec.attrs)]);
export const requireIdentity = (spec: RequireSpec) => JSON.stringify([spec.name, sortedAttrs(spec.attrs)]);

export class Inheritance {
  readonly session: string | undefined;
  private readonly provisions: Map<string, ProvideSpec>;
  private readonly watches: Map<string, RequireSpec>;
  /** The first key number no inherited key uses: new keys never meet an old one. */
  readonly firstKey: number;

  constructor(record?: SessionRecord) {
    this.session = record?.session;
    this.provisions = new Map(Object.entries(record?.provisions ?? {}));
    this.watches = new Map(Object.entries(record?.watches ?? {}));
    const numbers = [...this.provisions.keys(), ...this.watches.keys()].map((key) => Number(key.slice(1))).filter(Number.isSafeInteger);
    this.firstKey = Math.max(0, ...numbers) + 1;
  }

  /** The inherited key of a provision with this spec, taken from what is left to release. */
  claimProvision(spec: ProvideSpec): string | undefined {
    return claim(this.provisions, provideIdentity(spec), provideIdentity);
  }

  claimWatch(spec: RequireSpec): string | undefined {
    return claim(this.watches, requireIdentity(spec), requireIdentity);
  }

  /** What was inherited and not claimed: still held by the server until released. */
  get unclaimed(): { provisions: ReadonlyMap<string, ProvideSpec>; watches: ReadonlyMap<string, RequireSpec> } {
    return { provisions: this.provisions, watches: this.watches };
  }

  /** Released (or the server never had it): no longer part of the record. */
  forget(key: string): void {
    this.provisions.delete(key);
    this.watches.delete(key);
  }
}

function claim<T>(held: Map<string, T>, wanted: string, identify: (spec: T) => string): string | undefined {
  for (const [key, spec] of held) {
    if (identify(spec) !== wanted) continue;
    held.delete(key);
    return key;
  }
  return undefined;
}
