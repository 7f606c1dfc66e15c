// A subscription's endpoints as a raw-wire test sees them: it joins messages sent in parts and
// applies require replies, `changed` and `resync` pushes the way docs/protocol.md says a client must.

import type { Message, WirePeer } from './wire.ts';

export class WireView {
  readonly endpoints = new Map<string, Message>();
  seq = -1;
  resyncs = 0;
  /** Every seq applied, in order: they must rise. */
  readonly applied: number[] = [];

  constructor(readonly sub: string) {}

  /** Takes the subscription's next whole message from `peer` (waiting for its parts) and applies it. */
  async step(peer: WirePeer, timeoutMs = 5000): Promise<Message> {
    const first = await peer.next((m) => m.sub === this.sub && (m.op === 'changed' || m.op === 'resync'), timeoutMs);
    const parts = [first];
    while (parts.at(-1)!.more === true) {
      parts.push(await peer.next((m) => m.sub === this.sub && m.op === first.op && m.seq === first.seq, timeoutMs));
    }
    if (first.seq <= this.seq) return first; // A replay.
    if (first.op === 'resync') {
      this.resyncs++;
      this.endpoints.clear();
      for (const part of parts) for (const endpoint of part.endpoints) this.endpoints.set(endpoint.id, endpoint);
    } else {
      for (const part of parts) for (const endpoint of part.drop) this.endpoints.delete(endpoint.id);
      for (const part of parts) for (const endpoint of part.add) this.endpoints.set(endpoint.id, endpoint);
    }
    this.seq = first.seq;
    this.applied.push(first.seq);
    return first;
  }

  /** Applies messages until `done` holds. */
  async until(peer: WirePeer, done: (view: WireView) => boolean, timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this)) await this.step(peer, Math.max(1, deadline - Date.now()));
  }
}

/** Sends `require` and reads its reply, in however many parts it comes. */
export async function requireAll(peer: WirePeer, id: number, name: string, attrs?: Record<string, string>) {
  peer.send({ op: 'require', id, name, ...(attrs ? { attrs } : {}) });
  const parts = [await peer.reply(id)];
  while (parts.at(-1)!.more === true) parts.push(await peer.reply(id));
  const view = new WireView(parts[0]!.sub);
  view.seq = parts[0]!.seq;
  for (const part of parts) for (const endpoint of part.endpoints) view.endpoints.set(endpoint.id, endpoint);
  return { view, parts };
}

/** Provides `count` endpoints of one name from one session, pipelined, and waits for every reply. */
export async function provideMany(peer: WirePeer, name: string, count: number, attrs: Record<string, string> = {}, firstId = 1000) {
  let batch = '';
  for (let i = 0; i < count; i++) {
    const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    batch += `${JSON.stringify({ op: 'provide', id: firstId + i, name, host, port: 1 + (i % 60000), attrs })}\n`;
  }
  peer.send(batch);
  await peer.reply(firstId + count - 1, 30000);
  peer.messages.length = 0;
}
