// Encoding answers in wire form, each record once, straight into one buffer (writer.ts), and never
// past what the transport carries: a record that does not fit ends the section. Time is linear in
// the reply's size, not in the records an answer holds, however many endpoints a name has.

import type { Answer } from './answer.ts';
import { FLAG, HEADER_BYTES, TYPE } from './constants.ts';
import type { Query } from './query.ts';
import { type Mark, type ResourceRecord, Writer } from './writer.ts';

export interface EncodeOptions {
  readonly authoritative: boolean;
  readonly recursionAvailable: boolean;
  /** The UDP payload size we advertise in our OPT record. */
  readonly ednsPayloadSize: number;
}

export interface Fit {
  /**
   * What to do with answer records that do not all fit. `truncate` (UDP): a reply with TC and the
   * question only, so the client asks again over TCP. `cap` (TCP, where asking again is no use):
   * as many records as fit, starting at `first`, so that successive answers rotate through them.
   */
  readonly overflow: 'truncate' | 'cap';
  /** The answer record a capped answer starts at (taken modulo their number). */
  readonly first?: number;
}

export interface Encoded {
  readonly reply: Buffer;
  /** Where the next answer should start, when this one was capped; undefined when it carried every answer record. */
  readonly next?: number;
  /** How many records the reply carries, in all sections but the OPT record. */
  readonly records: number;
}

const OPT_BYTES = 11; // root name (1) + type (2) + size (2) + ttl (4) + rdlength (2)

/**
 * Encodes an answer to fit `limit` bytes (no amplification). The answer and authority sections go
 * first; the additional section follows with as many whole RRsets as fit (RFC 2181 §9: they may be
 * left out without TC). Answers that do not fit are truncated or capped, as `fit` says.
 */
export function encodeAnswer(
  query: Query,
  answer: Answer,
  options: EncodeOptions,
  limit: number,
  fit: Fit = { overflow: 'truncate' },
): Encoded {
  const writer = new Writer(Math.min(limit, 4096));
  writer.at = HEADER_BYTES;
  writer.name(query.labels.join('.'), true);
  writer.u16(query.type);
  writer.u16(query.class);
  const afterQuestion = writer.mark();
  const room = limit - (query.edns ? OPT_BYTES : 0);

  const answers = answer.answers;
  const total = answers.length;
  const first = total > 0 ? (fit.first ?? 0) % total : 0;
  let carried = 0;
  while (carried < total && fits(writer, answers.at((first + carried) % total)!, room)) carried++;
  if (carried < total && (fit.overflow === 'truncate' || carried === 0)) {
    writer.rewind(afterQuestion);
    return finish(writer, query, answer.rcode, options, [0, 0, 0], true);
  }
  if (carried < total) {
    // A capped answer carries answer records only: the additional section goes first (RFC 2181 §9).
    return { ...finish(writer, query, answer.rcode, options, [carried, 0, 0], false), next: (first + carried) % total };
  }
  for (const rr of answer.authorities) {
    if (!fits(writer, rr, room)) {
      writer.rewind(afterQuestion);
      return finish(writer, query, answer.rcode, options, [0, 0, 0], true);
    }
  }
  return finish(
    writer,
    query,
    answer.rcode,
    options,
    [total, answer.authorities.length, additionals(writer, answer.additionals, room)],
    false,
  );
}

/** Writes `rr` if it fits in `room`; takes it back and says so if it does not. */
function fits(writer: Writer, rr: ResourceRecord, room: number): boolean {
  const mark = writer.mark();
  writer.record(rr);
  if (writer.at <= room) return true;
  writer.rewind(mark);
  return false;
}

/** Writes additional records until one does not fit; then its whole RRset goes, and the rest. Returns how many stay. */
function additionals(writer: Writer, records: Iterable<ResourceRecord>, room: number): number {
  let count = 0;
  let rrset: { mark: Mark; count: number; name: string; type: number } | undefined;
  for (const rr of records) {
    if (!rrset || rrset.name !== rr.name || rrset.type !== rr.type) rrset = { mark: writer.mark(), count, name: rr.name, type: rr.type };
    if (!fits(writer, rr, room)) {
      writer.rewind(rrset.mark);
      return rrset.count;
    }
    count++;
  }
  return count;
}

function finish(
  writer: Writer,
  query: Query,
  rcode: number,
  options: EncodeOptions,
  [answers, authorities, additionals]: [number, number, number],
  truncated: boolean,
): Encoded {
  if (query.edns) {
    writer.u8(0); // the root
    writer.u16(TYPE.OPT);
    writer.u16(options.ednsPayloadSize);
    writer.u32(((rcode >> 4) & 0xff) << 24); // extended rcode, version 0, flags (DO is set per query)
    writer.u16(0);
  }
  const end = writer.at;
  writer.at = 0;
  writer.u16(query.id);
  writer.u16(
    FLAG.QR |
      (options.authoritative ? FLAG.AA : 0) |
      (truncated ? FLAG.TC : 0) |
      (query.recursionDesired ? FLAG.RD : 0) |
      (options.recursionAvailable ? FLAG.RA : 0) |
      (rcode & 0xf),
  );
  for (const count of [1, answers, authorities, additionals + (query.edns ? 1 : 0)]) writer.u16(count);
  writer.at = end;
  return { reply: writer.finish(), records: answers + authorities + additionals };
}
