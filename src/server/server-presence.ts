// Which other disco servers share this etcd. Servers do not announce themselves there (that would be
// one more write on the HA path): a server is seen only through the sessions it holds. So "joined"
// means first seen holding a session, and "left" means it holds none any more: it stopped, or its
// clients all moved to other servers. A server with no clients is not seen at all.

export class ServerPresence {
  private readonly sessions = new Map<string, number>();

  constructor(
    private readonly self: string,
    private readonly told: (server: string, joined: boolean) => void,
  ) {}

  /** A session key names `server` now, instead of `before` (undefined for a new session key). */
  held(server: string, before: string | undefined): void {
    if (server === before) return;
    if (before !== undefined) this.released(before);
    const count = this.sessions.get(server) ?? 0;
    this.sessions.set(server, count + 1);
    if (count === 0 && server !== this.self) this.told(server, true);
  }

  /** A session key that named `server` is gone. */
  released(server: string): void {
    const count = this.sessions.get(server);
    if (count === undefined) return;
    if (count > 1) return void this.sessions.set(server, count - 1);
    this.sessions.delete(server);
    if (server !== this.self) this.told(server, false);
  }
}
