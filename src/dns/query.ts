// The guard in front of everything DNS: a strict, bounded parser for queries only. It reads the
// header, exactly one question and at most a few additional records (for EDNS), checks every
// count and length against the bytes actually present, and never follows a pointer. Hostile
// input costs a few comparisons, not a parse of 65,535 claimed records.

import { FLAG, HEADER_BYTES, RCODE, TYPE } from './constants.ts';

export interface Edns {
  /** The client's UDP payload size, as advertised (RFC 6891 §6.2.3). */
  readonly udpSize: number;
  readonly version: number;
  readonly dnssecOk: boolean;
}

/** Where the question sits in the message, so a reply can echo it byte for byte. */
export interface QuestionSpan {
  readonly questionStart: number;
  readonly questionEnd: number;
}

export interface Query extends QuestionSpan {
  readonly id: number;
  readonly opcode: number;
  readonly recursionDesired: boolean;
  /** The question name's labels, lower-cased (ASCII only, as DNS folds case). */
  readonly labels: readonly string[];
  /** True when every label is made of letters, digits, `-` and `_`: only such names can be ours. */
  readonly plain: boolean;
  readonly type: number;
  readonly class: number;
  /** The question name in wire form, lower-cased: an unambiguous cache key. */
  readonly wireName: string;
  readonly edns: Edns | undefined;
}

/**
 * A packet we answer with an error code, or ignore when `rcode` is undefined. It keeps what could
 * be read of the question and the OPT record, which the error reply echoes (RFC 6891 §7).
 */
export class Rejection {
  constructor(
    readonly rcode: number | undefined,
    readonly reason: string,
    readonly question?: QuestionSpan,
    readonly edns?: Edns,
  ) {}
}

const MIN_QUESTION = 5; // root name (1) + type (2) + class (2)
const MIN_RECORD = 11; // root name (1) + type, class (4) + ttl (4) + rdlength (2)
const MAX_NAME = 255;
const MAX_ADDITIONALS = 4;
const HAS_UPPER = /[A-Z]/;
const HAS_HIGH = /[\u0080-\u00ff]/;
/** 1 for the bytes our names are made of: letters (either case), digits, `-` and `_`. */
const PLAIN_BYTE = new Uint8Array(256);
for (const char of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_') PLAIN_BYTE[char.charCodeAt(0)] = 1;

interface Question extends QuestionSpan {
  readonly labels: string[];
  readonly plain: boolean;
  readonly type: number;
  readonly class: number;
  readonly wireName: string;
}

export function parseQuery(message: Buffer): Query | Rejection {
  if (message.length < HEADER_BYTES) return new Rejection(undefined, 'shorter than a header');
  const flags = message.readUInt16BE(2);
  if (flags & FLAG.QR) return new Rejection(undefined, 'a response, not a query'); // Never answer answers: no loops.
  const opcode = (flags >> 11) & 0xf;
  const qdcount = message.readUInt16BE(4);
  const ancount = message.readUInt16BE(6);
  const nscount = message.readUInt16BE(8);
  const arcount = message.readUInt16BE(10);

  // Read what can be read before judging, so that even an error reply can echo it.
  const question = qdcount === 1 ? readQuestion(message) : undefined;
  const readable = question instanceof Rejection ? undefined : question;
  const additionalStart = qdcount === 0 ? HEADER_BYTES : readable?.questionEnd;
  const additionals: EdnsFound =
    additionalStart !== undefined && ancount === 0 && nscount === 0 && arcount <= MAX_ADDITIONALS
      ? readEdns(message, additionalStart, arcount)
      : {};
  const echoedEdns = additionals.edns;

  if (opcode !== 0) return new Rejection(RCODE.notImp, `opcode ${opcode} is not supported`, readable, echoedEdns);
  if (qdcount !== 1) return new Rejection(RCODE.formErr, `${qdcount} questions; exactly one is allowed`, readable, echoedEdns);
  if (question instanceof Rejection) return new Rejection(RCODE.formErr, question.reason);
  if (ancount !== 0 || nscount !== 0) {
    return new Rejection(RCODE.formErr, 'a query carries no answer or authority records', readable, echoedEdns);
  }
  if (arcount > MAX_ADDITIONALS) return new Rejection(RCODE.formErr, `${arcount} additional records`, readable, echoedEdns);
  if (additionals.error) return new Rejection(RCODE.formErr, additionals.error, readable, echoedEdns);

  // Written out, not spread from the question: a spread copies property by property, on every query.
  const { labels, plain, type, class: qclass, questionStart, questionEnd, wireName } = question!;
  return {
    id: message.readUInt16BE(0),
    opcode,
    recursionDesired: (flags & FLAG.RD) !== 0,
    labels,
    plain,
    type,
    class: qclass,
    questionStart,
    questionEnd,
    wireName,
    edns: echoedEdns,
  };
}

function readQuestion(message: Buffer): Question | Rejection {
  if (HEADER_BYTES + MIN_QUESTION > message.length) return new Rejection(RCODE.formErr, 'the question is missing');
  const starts: number[] = [];
  let plain = true;
  let offset = HEADER_BYTES;
  for (;;) {
    if (offset >= message.length) return new Rejection(RCODE.formErr, 'question name runs past the end');
    const length = message[offset]!;
    if (length === 0) break;
    if (length & 0xc0) return new Rejection(RCODE.formErr, 'compression or extended label in the question name');
    if (offset + 1 + length - HEADER_BYTES + 1 > MAX_NAME) return new Rejection(RCODE.formErr, 'question name longer than 255 bytes');
    if (offset + 1 + length > message.length) return new Rejection(RCODE.formErr, 'label runs past the end');
    for (let i = offset + 1; plain && i <= offset + length; i++) plain = PLAIN_BYTE[message[i]!] === 1;
    starts.push(offset - HEADER_BYTES);
    offset += 1 + length;
  }
  const nameEnd = offset + 1;
  if (nameEnd + 4 > message.length) return new Rejection(RCODE.formErr, 'question type and class missing');
  // One string for the whole name; the labels are slices of it.
  const wireName = asciiLower(message, HEADER_BYTES, nameEnd);
  const labels: string[] = [];
  for (const at of starts) labels.push(wireName.slice(at + 1, at + 1 + wireName.charCodeAt(at)));
  return {
    labels,
    plain,
    type: message.readUInt16BE(nameEnd),
    class: message.readUInt16BE(nameEnd + 2),
    questionStart: HEADER_BYTES,
    questionEnd: nameEnd + 4,
    wireName,
  };
}

interface EdnsFound {
  /** The first OPT record, if one was read before anything went wrong. */
  readonly edns?: Edns;
  /** Why the additional section is malformed, if it is. */
  readonly error?: string;
}

/** Steps over at most MAX_ADDITIONALS records to find the OPT record, checking every length. */
function readEdns(message: Buffer, start: number, arcount: number): EdnsFound {
  if (start + arcount * MIN_RECORD > message.length) return { error: 'header counts claim more than the message holds' };
  let edns: Edns | undefined;
  let offset = start;
  for (let i = 0; i < arcount; i++) {
    // Additional records may use compression in their names; we only need to step over them.
    const afterName = skipName(message, offset);
    if (afterName < 0 || afterName + 10 > message.length) return { edns, error: 'additional record runs past the end' };
    const rrType = message.readUInt16BE(afterName);
    const rdLength = message.readUInt16BE(afterName + 8);
    const end = afterName + 10 + rdLength;
    if (end > message.length) return { edns, error: 'additional record data runs past the end' };
    if (rrType === TYPE.OPT) {
      if (edns) return { edns, error: 'more than one OPT record' };
      if (message[offset] !== 0) return { error: 'OPT record not owned by the root' };
      edns = {
        udpSize: message.readUInt16BE(afterName + 2),
        version: message[afterName + 5]!,
        dnssecOk: (message.readUInt16BE(afterName + 6) & 0x8000) !== 0,
      };
    }
    offset = end;
  }
  return { edns };
}

/** Returns the offset after a (possibly compressed) name, or -1. Bounded: one pointer ends it. */
function skipName(message: Buffer, offset: number): number {
  for (let steps = 0; steps < 128; steps++) {
    if (offset >= message.length) return -1;
    const length = message[offset]!;
    if (length === 0) return offset + 1;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: differs only for a pointer in the last two bytes, where the record's fixed bytes, checked next, give the same FORMERR
    if ((length & 0xc0) === 0xc0) return offset + 2 <= message.length ? offset + 2 : -1;
    if (length & 0xc0) return -1;
    offset += 1 + length;
  }
  return -1;
}

/** The bytes as a latin1 string with ASCII letters lower-cased: DNS folds no other case (RFC 4343). */
function asciiLower(message: Buffer, start: number, end: number): string {
  const text = message.toString('latin1', start, end);
  if (!HAS_UPPER.test(text)) return text;
  // Stryker disable next-line ConditionalExpression: the slow path gives the same string: this returns early only to save the loop
  if (!HAS_HIGH.test(text)) return text.toLowerCase();
  let folded = '';
  // Stryker disable next-line EqualityOperator: one NUL more ends a name with a byte above ASCII, never plain: it gets NXDOMAIN before the cache is asked
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    folded += String.fromCharCode(code >= 0x41 && code <= 0x5a ? code + 32 : code);
  }
  return folded;
}
