// Turns a question about a name inside a zone into records. Like CoreDNS's handlers it tells
// NXDOMAIN (the name does not exist) from NODATA (it exists, without that type) by asking the
// view whether the name exists at all, empty non-terminals included (RFC 8020), or lost its last
// record only a moment ago (dns/tombstones.ts). Each record type has its own builder over the
// read-only view; `answer` only picks the builders for a question. Records are made as the
// encoder asks for them: a name with 30,000 endpoints costs the records that fit in one reply.

import type { Place } from '../registry/nearest.ts';
import { CLASS, RCODE, TYPE } from './constants.ts';
import { NS_LABEL, SERVICES_NAME } from './owners.ts';
import { factsOf, priorityOf, type SrvData } from './srv.ts';
import type { Node, ZoneView } from './view.ts';
import type { ResourceRecord } from './writer.ts';

export { TYPE } from './constants.ts';
export type { ResourceRecord } from './writer.ts';

/** The answer section: its records by index, made when asked for (an array is one too). */
export interface RecordList {
  readonly length: number;
  at(index: number): ResourceRecord | undefined;
}

export interface Answer {
  rcode: number;
  answers: RecordList;
  authorities: readonly ResourceRecord[];
  /** Made as the encoder reads them: it stops at the first that does not fit. */
  additionals: Iterable<ResourceRecord>;
}

/** A list's records, all made: for tests and small lists. */
export function recordsOf(list: RecordList): ResourceRecord[] {
  return Array.from({ length: list.length }, (_, i) => list.at(i)!);
}

const lazyList = <T>(items: readonly T[], make: (item: T) => ResourceRecord): RecordList => ({
  length: items.length,
  at: (index) => (index >= 0 && index < items.length ? make(items[index]!) : undefined),
});

export interface AnswerContext {
  readonly view: ZoneView;
  /** Labels below the zone apex. */
  readonly relative: readonly string[];
  readonly type: number;
  readonly ttl: number;
  /** The zone's SOA serial: it moves with every change to what the zone shows (docs/dns.md). */
  readonly serial: number;
  /** Seconds a resolver may remember that a name or type is missing (the SOA minimum); `ttl` unless told. */
  readonly negativeTtl?: number;
  /** Names (relative, like the view's) that lost their last record a moment ago: NODATA, not NXDOMAIN. */
  readonly recentlyGone?: (name: string) => boolean;
  /** Where the asker is, when known: SRV priorities put its nearest endpoints first (docs/dns.md). */
  readonly asker?: Place | undefined;
}

const record = (name: string, type: number, ttl: number, fields: object): ResourceRecord => ({
  name,
  type,
  class: CLASS.IN,
  ttl,
  ...fields,
});

/** The zone's SOA; its minimum is the negative-caching TTL (RFC 2308). */
export function soaRecord(origin: string, ttl: number, serial: number, negativeTtl = ttl) {
  return {
    ...record(origin, TYPE.SOA, ttl, {}),
    origin,
    primary: `${NS_LABEL}.${origin}`,
    admin: `hostmaster.${origin}`,
    serial: serial >>> 0,
    refresh: 3600,
    retry: 600,
    expiration: 86400,
    minimum: negativeTtl,
  };
}

/**
 * The SOA in the authority section of NXDOMAIN and NODATA. A resolver caches a negative answer for
 * the smaller of this record's TTL and its minimum (RFC 2308 §5), so both are the negative TTL.
 */
export function negativeSoaRecord(origin: string, ttl: number, serial: number, negativeTtl = ttl) {
  return { ...soaRecord(origin, ttl, serial, negativeTtl), ttl: Math.min(ttl, negativeTtl) };
}

/** The A and AAAA records of an SRV, PTR or NS target, when it is a name in this zone. */
export function addressRecords(view: ZoneView, target: string, ttl: number): ResourceRecord[] {
  const node = nodeAt(view, target);
  if (!node) return [];
  return [
    ...node.a.map((address) => record(target, TYPE.A, ttl, { address })),
    ...node.aaaa.map((address) => record(target, TYPE.AAAA, ttl, { address })),
  ];
}

const srvRecord = (owner: string, ttl: number, srv: SrvData, asker: Place | undefined) =>
  record(owner, TYPE.SRV, ttl, {
    priority: priorityOf(asker, srv),
    weight: factsOf(srv).weight,
    port: srv.port,
    target: srv.target,
  });

/** The SRV records at a name; their priorities say how near each endpoint is to the asker. */
export function srvRecords(owner: string, node: Node, ttl: number, asker?: Place): RecordList {
  return lazyList(node.srv, (srv) => srvRecord(owner, ttl, srv, asker));
}

/** An endpoint without attributes still has a TXT record: one empty string (RFC 6763 §6). */
export function txtRecords(owner: string, node: Node, ttl: number): RecordList {
  return lazyList(node.txt, (strings) => record(owner, TYPE.TXT, ttl, { data: strings.length ? strings : [''] }));
}

export function ptrRecords(owner: string, node: Node, ttl: number): RecordList {
  return lazyList(node.ptr, (domain) => record(owner, TYPE.PTR, ttl, { domain }));
}

/** A section made afresh each time it is read, so one answer can be encoded twice. */
const reread = (make: () => Iterator<ResourceRecord>): Iterable<ResourceRecord> => ({ [Symbol.iterator]: make });

/** The addresses of SRV targets, each target once, in the order of the SRV records. */
function* targetAddresses(view: ZoneView, srvs: readonly SrvData[], ttl: number, seen: Set<string>): Generator<ResourceRecord> {
  for (const srv of srvs) {
    if (seen.has(srv.target)) continue;
    seen.add(srv.target);
    yield* addressRecords(view, srv.target, ttl);
  }
}

/** DNS-SD browsing: each instance's SRV, TXT and addresses save three round trips (RFC 6763 §12.1). */
export function* browseAdditionals(view: ZoneView, node: Node, ttl: number, asker?: Place): Generator<ResourceRecord> {
  const seen = new Set<string>();
  for (const instance of node.ptr) {
    // A type's PTRs name its instances, each made with its SRV by the view.
    const instanceNode = nodeAt(view, instance)!;
    yield* instanceNode.srv.map((srv) => srvRecord(instance, ttl, srv, asker));
    yield* recordsOf(txtRecords(instance, instanceNode, ttl));
    yield* targetAddresses(view, instanceNode.srv, ttl, seen);
  }
}

/** RFC 8482: a minimal answer to ANY instead of everything, so ANY is no amplifier. */
export function anyRecords(owner: string, ttl: number): ResourceRecord[] {
  // Stryker disable next-line StringLiteral: the text is ASCII: UTF-8, the default, gives the same bytes
  return [record(owner, TYPE.HINFO, ttl, { data: Buffer.from('\u0007RFC8482\u0000', 'latin1') })];
}

export function answer(context: AnswerContext): Answer {
  const { view, relative, type, ttl } = context;
  const origin = view.zone.origin;
  const key = relative.join('.');
  const owner = key ? `${key}.${origin}` : origin;
  const soa = soaRecord(origin, ttl, context.serial, context.negativeTtl);
  const negativeSoa = negativeSoaRecord(origin, ttl, context.serial, context.negativeTtl);
  const negative = (rcode: number): Answer => ({ rcode, answers: [], authorities: [negativeSoa], additionals: [] });
  const addresses = (list: readonly string[], type: number) => lazyList(list, (address) => record(owner, type, ttl, { address }));

  if (!view.names.has(key)) return negative(context.recentlyGone?.(key) ? RCODE.noError : RCODE.nxDomain);
  const node = view.nodes.get(key);
  const isApex = key === '';
  let answers: RecordList = [];
  let additionals: Iterable<ResourceRecord> = [];
  switch (type) {
    case TYPE.SOA:
      if (isApex) answers = [soa];
      break;
    case TYPE.NS:
      if (isApex) {
        answers = [record(origin, TYPE.NS, ttl, { ns: `${NS_LABEL}.${origin}` })];
        additionals = addressRecords(view, `${NS_LABEL}.${origin}`, ttl);
      }
      break;
    case TYPE.A:
      answers = addresses(node?.a ?? [], TYPE.A);
      break;
    case TYPE.AAAA:
      answers = addresses(node?.aaaa ?? [], TYPE.AAAA);
      break;
    case TYPE.SRV:
      if (node) {
        answers = srvRecords(owner, node, ttl, context.asker);
        additionals = reread(() => targetAddresses(view, node.srv, ttl, new Set()));
      }
      break;
    case TYPE.TXT:
      if (node) answers = txtRecords(owner, node, ttl);
      break;
    case TYPE.PTR:
      if (node) {
        answers = ptrRecords(owner, node, ttl);
        // The service-type enumeration points at types, not instances: it gets no additionals.
        if (key !== SERVICES_NAME) additionals = reread(() => browseAdditionals(view, node, ttl, context.asker));
      }
      break;
    case TYPE.ANY:
      // Only names with records have a node (the apex always has its SOA and NS).
      if (node) answers = anyRecords(owner, ttl);
      break;
  }
  if (answers.length === 0) return negative(RCODE.noError);
  return { rcode: RCODE.noError, answers, authorities: [], additionals };
}

function nodeAt(view: ZoneView, name: string): Node | undefined {
  const origin = view.zone.origin;
  return name.endsWith(`.${origin}`) ? view.nodes.get(name.slice(0, -origin.length - 1)) : undefined;
}
