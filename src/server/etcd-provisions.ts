// The provisions an etcd mirror holds, by id, and which session holds each: what a server needs of a
// provision beyond the registry's copy (the revision of its key, the client's key for it). Kept
// small, since a registry may hold a million of them: the etcd key is not stored but made again from
// the name and the id (`<prefix>p/<name>/<id>`), unless etcd holds it under another spelling of the
// name; the name and the session point at the registry's own strings.

/** One provision mirrored from etcd. */
export interface MirroredProvision {
  /** The revision its key was written at. */
  readonly modRevision: number;
  readonly name: string;
  readonly session: string;
  /** The client's key for it, which a session resumed on another server provides it again by. */
  readonly key: string | undefined;
  /** Its etcd key, when it is not the one its canonical name makes (a writer other than disco spelled the name otherwise). */
  readonly etcdKey: string | undefined;
}

export class EtcdProvisions {
  private readonly byId = new Map<string, MirroredProvision>();
  /** The ids each session holds, and the one copy of the session's identifier its provisions share. */
  private readonly bySession = new Map<string, { readonly session: string; readonly ids: Set<string> }>();

  constructor(private readonly prefix: string) {}

  /** The etcd key a provision of `name` with `id` is written at. */
  keyFor(name: string, id: string): string {
    return `${this.prefix}p/${name}/${id}`;
  }

  /** The id a provision key names (its last part), and the provision held at that very key, if any. */
  at(etcdKey: string): { id: string; held: MirroredProvision | undefined } {
    const id = etcdKey.slice(etcdKey.lastIndexOf('/') + 1);
    const held = this.byId.get(id);
    return { id, held: held && this.etcdKeyOf(id, held) === etcdKey ? held : undefined };
  }

  get(id: string): MirroredProvision | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  etcdKeyOf(id: string, held: MirroredProvision): string {
    return held.etcdKey ?? this.keyFor(held.name, id);
  }

  /** Every mirrored provision's etcd key, so that a full read without one lets it go. */
  etcdKeys(): string[] {
    return [...this.byId].map(([id, held]) => this.etcdKeyOf(id, held));
  }

  add(id: string, etcdKey: string, provision: Omit<MirroredProvision, 'etcdKey'>): void {
    const canonical = this.keyFor(provision.name, id) === etcdKey;
    this.byId.set(id, { ...provision, etcdKey: canonical ? undefined : etcdKey });
    let owned = this.bySession.get(provision.session);
    if (!owned) this.bySession.set(provision.session, (owned = { session: provision.session, ids: new Set() }));
    owned.ids.add(id);
  }

  forget(id: string): void {
    const held = this.byId.get(id);
    if (!held) return;
    this.byId.delete(id);
    this.bySession.get(held.session)?.ids.delete(id);
  }

  /** The provisions `session` holds, with the client's key for each. */
  ofSession(session: string): Array<{ id: string; key: string | undefined }> {
    return [...(this.bySession.get(session)?.ids ?? [])].map((id) => ({ id, key: this.byId.get(id)?.key }));
  }

  /** `session` as the provisions held already share it: each value read from etcd brings its own copy. */
  sessionOf(session: string): string {
    return this.bySession.get(session)?.session ?? session;
  }

  /** The session is gone: its provisions go with their own keys' deletes. */
  forgetSession(session: string): void {
    this.bySession.delete(session);
  }
}
