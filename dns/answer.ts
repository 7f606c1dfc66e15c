// Turns a question about a name inside a zone into records. Like CoreDNS's handlers it tells
// NXDOMAIN (the name does not exist) from NODATA (it exists, without that type) by asking the
// view whether the name exists at all, empty non-terminals included (RFC 8020).

import { RCODE } from './query.ts';
import { NS_LABEL, SERVICES_NAME, type Node, type ZoneView } from './view.ts';

export const TYPE = { A: 1, NS: 2, SOA: 6, PTR: 12, HINFO: 13, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
const CLASS_IN = 1;

/** A resource record in the shape dns2's encoder takes. */
export interface Record {
  name: string;
  type: number;
  class: number;
  ttl: number;
  [field: string]: unknown;
}

export interface Answer {
  rcode: number;
  answers: Record[];
  authorities: Record[];
  additionals: Record[];
}

export interface AnswerContext {
  readonly view: ZoneView;
  /** Labels below the zone apex. */
  readonly relative: readonly string[];
  readonly type: number;
  readonly ttl: number;
  /**
   * The SOA serial. There are no zone transfers, so nothing reads it for changes; it is fixed at
   * start-up, which keeps negative answers (which carry the SOA) cacheable across changes.
   */
  readonly serial: number;
}

export function answer(context: AnswerContext): Answer {
  const { view, relative, type, ttl } = context;
  const origin = view.zone.origin;
  const key = relative.join('.');
  const owner = key ? `${key}.${origin}` : origin;
  const rr = (name: string, rrType: number, fields: object): Record => ({ name, type: rrType, class: CLASS_IN, ttl, ...fields });
  const soa = rr(origin, TYPE.SOA, {
    primary: `${NS_LABEL}.${origin}`,
    admin: `hostmaster.${origin}`,
    serial: context.serial >>> 0,
    refresh: 3600,
    retry: 600,
    expiration: 86400,
    minimum: ttl, // The negative-caching TTL (RFC 2308).
  });
  const negative = (rcode: number): Answer => ({ rcode, answers: [], authorities: [soa], additionals: [] });

  if (!view.names.has(key)) return negative(RCODE.nxDomain);
  const node = view.nodes.get(key);
  const addressesOf = (target: string): Record[] => {
    const targetNode = target.endsWith(`.${origin}`) ? view.nodes.get(target.slice(0, -origin.length - 1)) : undefined;
    if (!targetNode) return [];
    return [
      ...targetNode.a.map((address) => rr(target, TYPE.A, { address })),
      ...targetNode.aaaa.map((address) => rr(target, TYPE.AAAA, { address })),
    ];
  };
  const srvRecords = (name: string, of: Node) =>
    of.srv.map((srv) => rr(name, TYPE.SRV, { priority: 1, weight: 1, port: srv.port, target: srv.target }));
  const txtRecords = (name: string, of: Node) => of.txt.map((strings) => rr(name, TYPE.TXT, { data: strings.length ? strings : [''] }));
  const unique = (records: Record[]) => {
    const seen = new Set<string>();
    return records.filter((record) => {
      const id = JSON.stringify(record);
      return !seen.has(id) && seen.add(id) !== undefined;
    });
  };

  let answers: Record[] = [];
  let additionals: Record[] = [];
  const isApex = key === '';
  switch (type) {
    case TYPE.SOA:
      if (isApex) answers = [soa];
      break;
    case TYPE.NS:
      if (isApex) {
        answers = [rr(origin, TYPE.NS, { ns: `${NS_LABEL}.${origin}` })];
        additionals = addressesOf(`${NS_LABEL}.${origin}`);
      }
      break;
    case TYPE.A:
      answers = (node?.a ?? []).map((address) => rr(owner, TYPE.A, { address }));
      break;
    case TYPE.AAAA:
      answers = (node?.aaaa ?? []).map((address) => rr(owner, TYPE.AAAA, { address }));
      break;
    case TYPE.SRV:
      if (node) {
        answers = srvRecords(owner, node);
        additionals = unique(node.srv.flatMap((srv) => addressesOf(srv.target)));
      }
      break;
    case TYPE.TXT:
      if (node) answers = txtRecords(owner, node);
      break;
    case TYPE.PTR:
      if (node) {
        answers = node.ptr.map((domain) => rr(owner, TYPE.PTR, { domain }));
        // DNS-SD browsing: the instances' SRV, TXT and addresses save three round trips (RFC 6763 §12.1).
        // The service-type enumeration points at types, not instances: it gets none.
        for (const instance of key === SERVICES_NAME ? [] : node.ptr) {
          const instanceNode = instance.endsWith(`.${origin}`) ? view.nodes.get(instance.slice(0, -origin.length - 1)) : undefined;
          if (!instanceNode || instanceNode.srv.length === 0) continue;
          additionals.push(...srvRecords(instance, instanceNode), ...txtRecords(instance, instanceNode));
          additionals.push(...instanceNode.srv.flatMap((srv) => addressesOf(srv.target)));
        }
        additionals = unique(additionals);
      }
      break;
    case TYPE.ANY:
      // RFC 8482: a minimal answer instead of everything, so ANY is no amplifier.
      if (node && (isApex || hasRecords(node))) {
        answers = [rr(owner, TYPE.HINFO, { data: Buffer.from('\u0007RFC8482\u0000', 'latin1') })];
      }
      break;
  }
  if (answers.length === 0) return negative(RCODE.noError);
  return { rcode: RCODE.noError, answers, authorities: [], additionals };
}

function hasRecords(node: Node): boolean {
  return node.srv.length + node.txt.length + node.ptr.length + node.a.length + node.aaaa.length > 0;
}
