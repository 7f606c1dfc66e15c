// The guard in front of everything DNS: a strict, bounded parser for queries only. It reads the
// header, exactly one question and at most a few additional records (for EDNS), checks every
// count and length against the bytes actually present, and never follows a pointer. Hostile
// input costs a few comparisons, not a parse of 65,535 claimed records.

export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;
export const BADVERS = 16;

export interface Edns {
  /** The client's UDP payload size, as advertised (RFC 6891 §6.2.3). */
  readonly udpSize: number;
  readonly version: number;
  readonly dnssecOk: boolean;
}

export interface Query {
  readonly id: number;
  readonly opcode: number;
  readonly recursionDesired: boolean;
  readonly checkingDisabled: boolean;
  /** The question name's labels, lower-cased (ASCII only, as DNS folds case). */
  readonly labels: readonly string[];
  /** True when every label is made of letters, digits, `-` and `_`: only such names can be ours. */
  readonly plain: boolean;
  readonly type: number;
  readonly class: number;
  /** Offsets of the question section, so an answer can echo it byte for byte. */
  readonly questionStart: number;
  readonly questionEnd: number;
  /** The question name in wire form, lower-cased: an unambiguous cache key. */
  readonly wireName: string;
  readonly edns: Edns | undefined;
}

/** A packet we answer with an error code (header only), or ignore when `rcode` is undefined. */
export class Rejection {
  constructor(
    readonly rcode: number | undefined,
    readonly reason: string,
  ) {}
}

const HEADER = 12;
const MIN_QUESTION = 5; // root name (1) + type (2) + class (2)
const MIN_RECORD = 11; // root name (1) + type, class (4) + ttl (4) + rdlength (2)
const MAX_NAME = 255;
const MAX_ADDITIONALS = 4;
const TYPE_OPT = 41;
const MIN_ADVERTISED_UDP = 1232;
const PLAIN_LABEL = /^[a-z0-9_-]+$/;

export function parseQuery(message: Buffer): Query | Rejection {
  if (message.length < HEADER) return new Rejection(undefined, 'shorter than a header');
  const id = message.readUInt16BE(0);
  const flags = message.readUInt16BE(2);
  if (flags & 0x8000) return new Rejection(undefined, 'a response, not a query'); // Never answer answers: no loops.
  const opcode = (flags >> 11) & 0xf;
  const qdcount = message.readUInt16BE(4);
  const ancount = message.readUInt16BE(6);
  const nscount = message.readUInt16BE(8);
  const arcount = message.readUInt16BE(10);
  if (opcode !== 0) return new Rejection(RCODE.notImp, `opcode ${opcode} is not supported`);
  if (qdcount !== 1) return new Rejection(RCODE.formErr, `${qdcount} questions; exactly one is allowed`);
  if (ancount !== 0 || nscount !== 0) return new Rejection(RCODE.formErr, 'a query carries no answer or authority records');
  if (arcount > MAX_ADDITIONALS) return new Rejection(RCODE.formErr, `${arcount} additional records`);
  if (HEADER + MIN_QUESTION + arcount * MIN_RECORD > message.length) {
    return new Rejection(RCODE.formErr, 'header counts claim more than the message holds');
  }

  const labels: string[] = [];
  let plain = true;
  let offset = HEADER;
  let nameBytes = 1;
  for (;;) {
    if (offset >= message.length) return new Rejection(RCODE.formErr, 'question name runs past the end');
    const length = message[offset]!;
    if (length === 0) break;
    if (length & 0xc0) return new Rejection(RCODE.formErr, 'compression or extended label in the question name');
    nameBytes += length + 1;
    if (nameBytes > MAX_NAME) return new Rejection(RCODE.formErr, 'question name longer than 255 bytes');
    if (offset + 1 + length > message.length) return new Rejection(RCODE.formErr, 'label runs past the end');
    const label = asciiLower(message, offset + 1, length);
    if (plain && !PLAIN_LABEL.test(label)) plain = false;
    labels.push(label);
    offset += 1 + length;
  }
  const nameEnd = offset + 1;
  if (nameEnd + 4 > message.length) return new Rejection(RCODE.formErr, 'question type and class missing');
  const type = message.readUInt16BE(nameEnd);
  const klass = message.readUInt16BE(nameEnd + 2);
  const questionEnd = nameEnd + 4;

  let edns: Edns | undefined;
  offset = questionEnd;
  for (let i = 0; i < arcount; i++) {
    // Additional records may use compression in their names; we only need to step over them.
    const afterName = skipName(message, offset);
    if (afterName < 0 || afterName + 10 > message.length) return new Rejection(RCODE.formErr, 'additional record runs past the end');
    const rrType = message.readUInt16BE(afterName);
    const rdLength = message.readUInt16BE(afterName + 8);
    const end = afterName + 10 + rdLength;
    if (end > message.length) return new Rejection(RCODE.formErr, 'additional record data runs past the end');
    if (rrType === TYPE_OPT) {
      if (edns) return new Rejection(RCODE.formErr, 'more than one OPT record');
      if (message[offset] !== 0) return new Rejection(RCODE.formErr, 'OPT record not owned by the root');
      edns = {
        udpSize: message.readUInt16BE(afterName + 2),
        version: message[afterName + 5]!,
        dnssecOk: (message.readUInt16BE(afterName + 6) & 0x8000) !== 0,
      };
    }
    offset = end;
  }

  return {
    id,
    opcode,
    recursionDesired: (flags & 0x0100) !== 0,
    checkingDisabled: (flags & 0x0010) !== 0,
    labels,
    plain,
    type,
    class: klass,
    questionStart: HEADER,
    questionEnd,
    wireName: asciiLower(message, HEADER, nameEnd - HEADER),
    edns,
  };
}

/** Returns the offset after a (possibly compressed) name, or -1. Bounded: one pointer ends it. */
function skipName(message: Buffer, offset: number): number {
  for (let steps = 0; steps < 128; steps++) {
    if (offset >= message.length) return -1;
    const length = message[offset]!;
    if (length === 0) return offset + 1;
    if ((length & 0xc0) === 0xc0) return offset + 2 <= message.length ? offset + 2 : -1;
    if (length & 0xc0) return -1;
    offset += 1 + length;
  }
  return -1;
}

function asciiLower(message: Buffer, start: number, length: number): string {
  let text = '';
  for (let i = start; i < start + length; i++) {
    const byte = message[i]!;
    text += String.fromCharCode(byte >= 0x41 && byte <= 0x5a ? byte + 32 : byte);
  }
  return text;
}

/**
 * A header-only reply with an error code, for packets we will not parse further: FORMERR,
 * NOTIMP. It carries no question, so it can never be larger than what was sent.
 */
export function errorReply(message: Buffer, rcode: number): Buffer {
  const reply = Buffer.alloc(HEADER);
  message.copy(reply, 0, 0, 2); // id
  const opcode = (message.readUInt16BE(2) >> 11) & 0xf;
  const rd = message.readUInt16BE(2) & 0x0100;
  reply.writeUInt16BE(0x8000 | (opcode << 11) | rd | (rcode & 0xf), 2);
  return reply;
}

/** A reply that echoes the question as sent, with no records: for names we can only refuse or deny. */
export function echoReply(message: Buffer, query: Query, rcode: number, authoritative: boolean, recursionAvailable: boolean): Buffer {
  const question = message.subarray(query.questionStart, query.questionEnd);
  // A query with EDNS gets an OPT record back (RFC 6891 §7): root, type 41, our size, no options.
  const opt = query.edns ? 11 : 0;
  const reply = Buffer.alloc(HEADER + question.length + opt);
  reply.writeUInt16BE(query.id, 0);
  reply.writeUInt16BE(
    0x8000 | (authoritative ? 0x0400 : 0) | (query.recursionDesired ? 0x0100 : 0) | (recursionAvailable ? 0x0080 : 0) | (rcode & 0xf),
    2,
  );
  reply.writeUInt16BE(1, 4);
  question.copy(reply, HEADER);
  if (opt) {
    reply.writeUInt16BE(1, 10);
    const at = HEADER + question.length;
    reply.writeUInt16BE(41, at + 1);
    reply.writeUInt16BE(MIN_ADVERTISED_UDP, at + 3);
  }
  return reply;
}
