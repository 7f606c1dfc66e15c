// A DNS message written byte by byte into one growing buffer. Names are compressed through a map
// from each name suffix already written to its offset (RFC 1035 §4.1.4): one lookup per label, so
// a message costs time linear in its size. A mark taken before a record lets the record be taken
// back whole, its compression entries with it, when it turns out not to fit.

import { writeIPv4, writeIPv6 } from './addresses.ts';
import { TYPE } from './constants.ts';

/** A resource record in the shape the answer builders make (dns2's field names). */
export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  [field: string]: unknown;
}

export interface Mark {
  readonly at: number;
  readonly names: number;
}

/** Offsets past this cannot be pointed at: a pointer has 14 bits. */
const MAX_POINTER = 0x3fff;
const MAX_TTL = 0x7fffffff; // RFC 2181 §8
const MAX_STRING = 255;
// Read once: a module namespace's bindings cost a lookup on every use.
const { A, AAAA, SRV, PTR, NS, SOA, TXT, HINFO } = TYPE;

export class Writer {
  private out: Buffer;
  at = 0;
  private readonly names = new Map<string, number>();
  /** The suffixes in `names`, in the order written, so that a rewind can forget the later ones. */
  private readonly written: string[] = [];

  constructor(initialSize: number) {
    this.out = Buffer.allocUnsafe(initialSize);
  }

  /** Makes room for `bytes` more: the buffer doubles, so growing costs linear time overall. */
  private room(bytes: number): void {
    if (this.at + bytes <= this.out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.at + bytes));
    this.out.copy(grown, 0, 0, this.at);
    this.out = grown;
  }

  u8(value: number): void {
    this.room(1);
    this.out[this.at++] = value;
  }

  u16(value: number): void {
    this.room(2);
    this.out.writeUInt16BE(value & 0xffff, this.at);
    this.at += 2;
  }

  u32(value: number): void {
    this.room(4);
    this.out.writeUInt32BE(value >>> 0, this.at);
    this.at += 4;
  }

  /** Overwrites a 16-bit field written earlier (counts, flags, a record's data length). */
  patch16(at: number, value: number): void {
    this.out.writeUInt16BE(value & 0xffff, at);
  }

  /**
   * A name, absolute (`db.blog.prod.disco.`), or '' or '.' for the root. With `compress`, its
   * longest suffix already in the message becomes a pointer; either way its own suffixes may be
   * pointed at by later names.
   */
  name(name: string, compress: boolean): void {
    const end = name.endsWith('.') ? name.length - 1 : name.length;
    let start = 0;
    while (start < end) {
      const suffix = start === 0 && end === name.length ? name : name.slice(start, end);
      const known = this.names.get(suffix);
      if (compress && known !== undefined) {
        this.u16(0xc000 | known);
        return;
      }
      if (known === undefined && this.at <= MAX_POINTER) {
        this.names.set(suffix, this.at);
        this.written.push(suffix);
      }
      const dot = name.indexOf('.', start);
      const labelEnd = dot < 0 || dot > end ? end : dot;
      const length = labelEnd - start;
      this.room(1 + length);
      const out = this.out;
      out[this.at++] = length;
      // Labels are short: a byte loop beats a native write call.
      for (let i = start; i < labelEnd; i++) out[this.at++] = name.charCodeAt(i);
      start = labelEnd + 1;
    }
    this.u8(0);
  }

  mark(): Mark {
    return { at: this.at, names: this.written.length };
  }

  /** Takes back everything written since `mark`, names the map learnt included. */
  rewind(mark: Mark): void {
    this.at = mark.at;
    while (this.written.length > mark.names) this.names.delete(this.written.pop()!);
  }

  /** One resource record: owner, type, class, TTL, and its data with the length before it. */
  record(rr: ResourceRecord): void {
    this.name(rr.name, true);
    this.u16(rr.type);
    this.u16(rr.class);
    this.u32(Math.min(rr.ttl >>> 0, MAX_TTL));
    const lengthAt = this.at;
    this.u16(0);
    this.rdata(rr);
    this.patch16(lengthAt, this.at - lengthAt - 2);
  }

  private rdata(rr: ResourceRecord): void {
    switch (rr.type) {
      case A:
        this.room(4);
        writeIPv4(this.out, this.at, rr.address as string);
        this.at += 4;
        return;
      case AAAA:
        this.room(16);
        writeIPv6(this.out, this.at, rr.address as string);
        this.at += 16;
        return;
      case SRV:
        this.u16(rr.priority as number);
        this.u16(rr.weight as number);
        this.u16(rr.port as number);
        this.name(rr.target as string, false); // RFC 2782: "name compression is not to be used for this field".
        return;
      case PTR:
        this.name(rr.domain as string, true);
        return;
      case NS:
        this.name(rr.ns as string, true);
        return;
      case SOA:
        this.name(rr.primary as string, true);
        this.name(rr.admin as string, true);
        for (const field of ['serial', 'refresh', 'retry', 'expiration', 'minimum']) this.u32(rr[field] as number);
        return;
      case TXT:
        for (const text of rr.data as string[]) this.string(Buffer.from(text, 'utf8'));
        return;
      case HINFO:
        this.bytes(rr.data as Buffer);
        return;
      default:
        throw new Error(`no encoder for record type ${rr.type}`);
    }
  }

  /** A <character-string>: the wire's edge already holds attributes to 255 bytes; this keeps the length byte true anyway. */
  private string(bytes: Buffer): void {
    const length = Math.min(bytes.length, MAX_STRING);
    this.u8(length);
    this.bytes(bytes.subarray(0, length));
  }

  bytes(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.out.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** The message as written, in a buffer of its own size. */
  finish(): Buffer {
    return Buffer.from(this.out.subarray(0, this.at));
  }
}
