// A member: what one agent tells disco about itself (docs/protocol.md, `member`). The same schema
// checks it on the wire, when it comes back from etcd, and when `scs status` reads it: what one
// agent states reaches every observer, so nothing unbounded or unchecked does.

import * as v from 'valibot';
import { parseHostPort } from '../address.ts';
import { isLabel } from '../names.ts';
import { AttributesSchema, HostSchema, NameSchema, PatternSchema } from './fields.ts';
import { MAX_LINE_BYTES } from './framing.ts';
import { INSTANCES_LIMITS } from './instances.ts';
import { SPREAD_KEYS, SpreadGroupSchema } from './placement.ts';

export const MEMBER_LIMITS = {
  services: 128,
  provides: 64,
  requires: 64,
  /** Endpoints in one requirement's `applied`, and as many in its `current`. */
  endpoints: 1000,
  /** Groups a spread names (`over:`). */
  groups: 16,
} as const;

/** An agent's phase, as its state file has it. */
export const MEMBER_PHASES = ['starting', 'running', 'stopping', 'stopped', 'failed'] as const;

const LABEL = 'expected a label like "h1" (letters, digits and inner hyphens, at most 63)';
const Label = v.pipe(v.string(LABEL), v.check(isLabel, LABEL));
const WORD = 'expected a state like "running" (lower-case letters, spaces or hyphens, at most 32)';
const Word = v.pipe(v.string(WORD), v.regex(/^[a-z][a-z -]{0,31}$/, WORD));
const WHY = 'expected one line of at most 200 printable characters';
// What a service's agent says of a state such as `failed`: text from the agent (an error's message),
// printed by whoever lists members, so one printable line, bounded.
const Why = v.pipe(v.string(WHY), v.regex(/^[^\p{Cc}]{1,200}$/u, WHY));
const VERSION = 'expected a version of 1 to 64 printable characters';
const Version = v.pipe(v.string(VERSION), v.regex(/^[\x20-\x7e]{1,64}$/, VERSION));
const ADDRESS = 'expected an address like "10.0.0.5:3306"';
const Address = v.pipe(
  v.string(ADDRESS),
  v.maxLength(262, ADDRESS),
  v.check((text) => {
    try {
      return v.is(HostSchema, parseHostPort(text).host);
    } catch {
      return false;
    }
  }, ADDRESS),
);
const list = <S extends v.GenericSchema>(item: S, max: number, what: string) =>
  v.pipe(v.array(item, `expected a list of ${what}`), v.maxLength(max, `expected at most ${max} ${what}`));

export const MemberProvideSchema = v.strictObject({ name: NameSchema, address: Address });

export const MemberRequireSchema = v.strictObject({
  /** The requirement's own label in the stack file (`db` of `requires: { db: ... }`). */
  endpoint: Label,
  name: PatternSchema,
  /** What the container was last given. */
  applied: list(Address, MEMBER_LIMITS.endpoints, 'addresses'),
  /** What disco says now. */
  current: list(Address, MEMBER_LIMITS.endpoints, 'addresses'),
});

const INSTANCE = `expected an instance number from 2 to ${INSTANCES_LIMITS.replicas}`;

export const MemberServiceSchema = v.strictObject({
  service: Label,
  /** Which instance of the service, from 2 on; absent for instance 1 (and from agents before replicas). */
  instance: v.optional(
    v.pipe(v.number(INSTANCE), v.safeInteger(INSTANCE), v.minValue(2, INSTANCE), v.maxValue(INSTANCES_LIMITS.replicas, INSTANCE)),
  ),
  /** Docker's state of its container (`running`, `exited`…), or the agent's word (`waiting`, `stopped`, `lost`, `removed`). */
  state: Word,
  health: v.optional(Word),
  /** Why it is in that state, when the agent knows: a failed start's reason. */
  why: v.optional(Why),
  /** Its instance here is drained (`scs drain`): it runs, and provides nothing until `scs undrain`. */
  drained: v.optional(v.boolean('expected true or false')),
  /** How its instances spread (`spread:`), and the groups `over:` names that have no live host: under-spread while there is one. */
  spread: v.optional(
    v.strictObject({
      by: v.picklist(SPREAD_KEYS, `expected one of ${SPREAD_KEYS.join(', ')}`),
      missing: list(SpreadGroupSchema, MEMBER_LIMITS.groups, 'groups'),
    }),
  ),
  provides: list(MemberProvideSchema, MEMBER_LIMITS.provides, 'provided endpoints'),
  requires: list(MemberRequireSchema, MEMBER_LIMITS.requires, 'requirements'),
});

/** The fields of a `member` request: the whole record, which replaces the session's last one. */
export const memberEntries = {
  /** The host's name, as a label (`scs ps` shows it too). */
  host: Label,
  project: Label,
  /** The address its published ports are provided at. */
  address: HostSchema,
  stack: Label,
  environment: Label,
  /** The member's own attributes: `dc` (its data center) and `az` (its zone) group `scs status`. */
  attrs: v.optional(AttributesSchema, {}),
  /** The services it was given (`scs up web db`), when not every one: it runs no instance of the others. */
  given: v.optional(list(Label, MEMBER_LIMITS.services, 'services')),
  version: Version,
  phase: v.picklist(MEMBER_PHASES, `expected one of ${MEMBER_PHASES.join(', ')}`),
  services: list(MemberServiceSchema, MEMBER_LIMITS.services, 'services'),
  /** The agent left endpoints or services out, to keep its line within 64 KiB. */
  trimmed: v.optional(v.boolean('expected true or false')),
};

export const MemberRecordSchema = v.strictObject(memberEntries);
export type MemberRecord = v.InferOutput<typeof MemberRecordSchema>;
export type MemberService = v.InferOutput<typeof MemberServiceSchema>;

const ISO_TIME = 'expected a time like "2026-01-01T00:00:00.000Z"';
const IsoTime = v.pipe(v.string(ISO_TIME), v.isoTimestamp(ISO_TIME));
const MEMBER_ID = 'expected a member id';

/** A member as `members` lists it: the record, an id that is not its session's, and when disco heard of it. */
export const MemberSchema = v.strictObject({
  id: v.pipe(v.string(MEMBER_ID), v.regex(/^[A-Za-z0-9_-]{1,64}$/, MEMBER_ID)),
  /** When its session first stated a record, and when it last did. */
  since: IsoTime,
  updated: IsoTime,
  ...memberEntries,
});
export type Member = v.InferOutput<typeof MemberSchema>;

/** Room left in a `member` line for `{"op":"member","id":N,` and the closing brace. */
const LINE_ROOM = 64;

/** The bytes of `record` as the body of a `member` line. */
export function memberBytes(record: MemberRecord): number {
  return Buffer.byteLength(JSON.stringify(record)) + LINE_ROOM;
}

/**
 * `record` cut down until its `member` line fits in the 64 KiB a client line may take (a longer line
 * would close the agent's connection): the longest address lists are halved first (a requirement's
 * `applied` and `current` together, so that equal lists stay equal), then services are left out from
 * the end. A record cut so says `trimmed: true`. Pure.
 */
export function fitMember(record: MemberRecord, maxBytes = MAX_LINE_BYTES): MemberRecord {
  if (memberBytes(record) <= maxBytes) return record;
  const services = record.services.map((service) => ({
    ...service,
    requires: service.requires.map((requirement) => ({ ...requirement })),
  }));
  const trimmed: MemberRecord = { ...record, services, trimmed: true };
  while (memberBytes(trimmed) > maxBytes) {
    let longest: (typeof services)[number]['requires'][number] | undefined;
    for (const service of services)
      for (const requirement of service.requires) if (!longest || size(requirement) > size(longest)) longest = requirement;
    if (longest && size(longest) > 2) {
      longest.applied = longest.applied.slice(0, Math.floor(longest.applied.length / 2));
      longest.current = longest.current.slice(0, Math.floor(longest.current.length / 2));
    } else if (services.length > 0) services.pop();
    else break;
  }
  return trimmed;
}

const size = (requirement: { applied: readonly string[]; current: readonly string[] }) =>
  requirement.applied.length + requirement.current.length;

/**
 * Whether a member shows under `pattern` (canonical, as `members` takes it): its stack and environment
 * match the pattern's, and some service of it matches the pattern's service label; a member that
 * runs no service yet shows when the pattern's service label is `*`. The endpoint label is not read.
 */
export function memberMatches(member: Pick<MemberRecord, 'stack' | 'environment' | 'services'>, pattern: string): boolean {
  const [, service, stack, environment] = pattern.split('.');
  const is = (label: string | undefined, value: string) => label === '*' || label === value;
  if (!is(stack, member.stack) || !is(environment, member.environment)) return false;
  if (service === '*') return true;
  return member.services.some((s) => s.service === service);
}
