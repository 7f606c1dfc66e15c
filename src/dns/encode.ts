// Encoding answers with dns2's packet model. dns2's writer is slow (it works bit by bit), which
// is why the server caches what this produces; and it compresses SRV targets, which RFC 2782
// forbids, which is why SRV is encoded here with compression switched off for the target.

import dns2 from 'dns2';
import type { Answer } from './answer.ts';
import { TYPE } from './constants.ts';
import type { Query } from './query.ts';

const { Packet } = dns2;

interface NameWriter {
  names?: Map<string, number>;
  write(value: number, bits: number): void;
}

const srvCodec = (Packet.Resource as unknown as { SRV: { encode(record: Record<string, unknown>, writer: NameWriter): void } }).SRV;
srvCodec.encode = (record, writer) => {
  writer.write(record.priority as number, 16);
  writer.write(record.weight as number, 16);
  writer.write(record.port as number, 16);
  const names = writer.names;
  writer.names = undefined; // RFC 2782: "name compression is not to be used for this field".
  try {
    (Packet.Name as unknown as { encode(name: string, writer: NameWriter): void }).encode(record.target as string, writer);
  } finally {
    writer.names = names;
  }
};

export interface EncodeOptions {
  readonly authoritative: boolean;
  readonly recursionAvailable: boolean;
  /** The UDP payload size we advertise in our OPT record. */
  readonly ednsPayloadSize: number;
}

/**
 * Encodes an answer to fit `limit` bytes: whole, else without the additional section (which may
 * be dropped silently, RFC 2181 §9), else as a truncated reply (TC) with just the question, so
 * the client retries over TCP. The reply never exceeds the limit: no amplification.
 */
export function encodeAnswer(query: Query, answer: Answer, options: EncodeOptions, limit: number): Buffer {
  const full = build(query, answer, options, answer.additionals, false);
  if (full.length <= limit) return full;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: with no additional records the lean encoding is the full one, already known not to fit: the same reply
  if (answer.additionals.length > 0) {
    const lean = build(query, answer, options, [], false);
    if (lean.length <= limit) return lean;
  }
  return build(query, { ...answer, answers: [], authorities: [] }, options, [], true);
}

function build(query: Query, answer: Answer, options: EncodeOptions, additionals: Answer['additionals'], truncated: boolean): Buffer {
  const packet = new Packet();
  const rcode = answer.rcode;
  packet.header = new Packet.Header({
    id: query.id,
    qr: 1,
    opcode: 0,
    aa: options.authoritative ? 1 : 0,
    tc: truncated ? 1 : 0,
    rd: query.recursionDesired ? 1 : 0,
    ra: options.recursionAvailable ? 1 : 0,
    rcode,
  }) as typeof packet.header;
  packet.questions = [new Packet.Question(query.labels.join('.'), query.type, query.class)];
  packet.answers = answer.answers as never;
  packet.authorities = answer.authorities as never;
  packet.additionals = [...additionals] as never;
  if (query.edns) {
    // dns2 carries an rcode above 15 (BADVERS) into this record's extended-rcode bits.
    const opt = Packet.Resource.EDNS([]) as unknown as { class: number };
    opt.class = options.ednsPayloadSize;
    (packet.additionals as unknown[]).push({ name: '', ...opt, type: TYPE.OPT });
  }
  return packet.toBuffer();
}
