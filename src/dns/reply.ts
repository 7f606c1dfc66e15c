// Replies written byte by byte from the query: error replies, replies that carry no answer, and
// the patching that makes a cached reply this query's own. Each echoes the question exactly as
// it was sent (case, escapes, type and all), copies RD and CD from the query, and answers an
// EDNS query with an OPT record that carries the DO bit back (RFC 3225, RFC 6891 §7).

import { EDNS_DO, FLAG, HEADER_BYTES, MAX_UDP_PAYLOAD, TYPE } from './constants.ts';
import type { Edns, Query, QuestionSpan, Rejection } from './query.ts';

const OPT_BYTES = 11; // root name (1) + type (2) + size (2) + ttl (4) + rdlength (2)

interface EchoOptions {
  readonly authoritative?: boolean;
  readonly recursionAvailable?: boolean;
  /** One encoded record for the authority section: the zone's SOA on a negative answer. */
  readonly authority?: Buffer;
  /** TC: the reply left out what did not fit; the client should ask again over TCP. */
  readonly truncated?: boolean;
}

/** A reply to a packet the guard rejected: FORMERR, NOTIMP. It never outgrows the query. */
export function errorReply(message: Buffer, rejection: Rejection): Buffer {
  return reply(message, rejection.rcode!, rejection.question, rejection.edns, {});
}

/** A reply with the question as asked and no answer: REFUSED, SERVFAIL, BADVERS, NXDOMAIN. */
export function echoReply(message: Buffer, query: Query, rcode: number, options: EchoOptions = {}): Buffer {
  return reply(message, rcode, query, query.edns, options);
}

/** The last resort when even the guard failed: the id and the rcode, nothing else. */
export function bareReply(message: Buffer, rcode: number): Buffer {
  return reply(message, rcode, undefined, undefined, {});
}

function reply(message: Buffer, rcode: number, question: QuestionSpan | undefined, edns: Edns | undefined, options: EchoOptions): Buffer {
  const questionBytes = question ? question.questionEnd - question.questionStart : 0;
  const authorityBytes = options.authority?.length ?? 0;
  const out = Buffer.alloc(HEADER_BYTES + questionBytes + authorityBytes + (edns ? OPT_BYTES : 0));
  message.copy(out, 0, 0, 2); // id
  const queryFlags = message.readUInt16BE(2);
  out.writeUInt16BE(
    FLAG.QR |
      (queryFlags & (0x7800 | FLAG.RD | FLAG.CD)) | // opcode, RD and CD, as asked
      (options.authoritative ? FLAG.AA : 0) |
      (options.recursionAvailable ? FLAG.RA : 0) |
      (options.truncated ? FLAG.TC : 0) |
      (rcode & 0xf),
    2,
  );
  let at = HEADER_BYTES;
  if (question) {
    out.writeUInt16BE(1, 4);
    at += message.copy(out, at, question.questionStart, question.questionEnd);
  }
  if (options.authority) {
    out.writeUInt16BE(1, 8);
    at += options.authority.copy(out, at);
  }
  if (edns) {
    out.writeUInt16BE(1, 10);
    writeOpt(out, at, rcode, edns.dnssecOk);
  }
  return out;
}

/** Our OPT record: root owner, our UDP size, the rcode's upper bits, version 0, DO as asked. */
function writeOpt(out: Buffer, at: number, rcode: number, dnssecOk: boolean): void {
  out[at] = 0;
  out.writeUInt16BE(TYPE.OPT, at + 1);
  out.writeUInt16BE(MAX_UDP_PAYLOAD, at + 3);
  out[at + 5] = (rcode >> 4) & 0xff;
  out[at + 6] = 0; // version
  out.writeUInt16BE(dnssecOk ? EDNS_DO : 0, at + 7);
  out.writeUInt16BE(0, at + 9);
}

/**
 * A cached reply made this query's own: its id, its RD and CD bits, its DO bit, its question in
 * the case it was asked. Cached replies to EDNS queries end with our OPT record, with no options.
 */
export function personalize(cached: Buffer, message: Buffer, query: Query): Buffer {
  // Replies are small: a byte loop beats a native copy call for the question.
  const out = Buffer.allocUnsafe(cached.length);
  out.set(cached);
  for (let i = query.questionStart; i < query.questionEnd; i++) out[i] = message[i]!;
  out[0] = message[0]!;
  out[1] = message[1]!;
  out[2] = (cached[2]! & ~0x01) | (message[2]! & 0x01); // RD
  out[3] = (cached[3]! & ~0x10) | (message[3]! & 0x10); // CD
  // The DO bit's byte of our OPT record; the other bits in it (Z) are always 0 in what we send.
  if (query.edns) out[out.length - 4] = query.edns.dnssecOk ? 0x80 : 0;
  return out;
}

/** A name in wire form, uncompressed: `disco.` is 5 d i s c o 0. */
export function encodeName(name: string): Buffer {
  const labels = name.split('.').filter(Boolean);
  const out = Buffer.alloc(labels.reduce((sum, label) => sum + 1 + Buffer.byteLength(label), 1));
  let at = 0;
  for (const label of labels) {
    out[at] = out.write(label, at + 1);
    at += 1 + out[at]!;
  }
  return out;
}

export interface SoaFields {
  readonly origin: string;
  readonly ttl: number;
  readonly primary: string;
  readonly admin: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expiration: number;
  readonly minimum: number;
}

/** One SOA record in wire form, for answers whose question must go back byte for byte as asked. */
export function encodeSoa(soa: SoaFields): Buffer {
  const owner = encodeName(soa.origin);
  const rdata = Buffer.concat([encodeName(soa.primary), encodeName(soa.admin), Buffer.alloc(20)]);
  [soa.serial, soa.refresh, soa.retry, soa.expiration, soa.minimum].forEach((value, i) => {
    rdata.writeUInt32BE(value >>> 0, rdata.length - 20 + i * 4);
  });
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TYPE.SOA, 0);
  fixed.writeUInt16BE(1, 2); // IN
  fixed.writeUInt32BE(soa.ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
}
