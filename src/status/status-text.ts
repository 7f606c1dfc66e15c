// `scs status` as text: the members disco knows, hosts grouped by data center and zone, the services
// each runs with their state and health, and every dependency with what it points at. Pure: members
// in, text out.

import { groupOf } from '../placement/spread.ts';
import type { Member, MemberService } from '../protocol/member.ts';
import type { SpreadKey } from '../protocol/placement.ts';
import { zoneOf } from '../registry/nearest.ts';

/** The attribute that names a member's data center (docs/observe.md); its zone is `zone`, or `az` (zoneOf). */
export const DC_ATTRIBUTE = 'dc';

const UNKNOWN = '-';

interface Group {
  readonly dc: string;
  readonly zone: string;
  readonly members: Member[];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Members grouped by data center and zone, each group and its members in a stable order; unknown ones last. */
export function groupMembers(members: readonly Member[]): Group[] {
  const groups = new Map<string, Group>();
  for (const member of members) {
    const dc = member.attrs[DC_ATTRIBUTE] ?? UNKNOWN;
    const zone = zoneOf(member.attrs) ?? UNKNOWN;
    const key = JSON.stringify([dc === UNKNOWN, dc, zone === UNKNOWN, zone]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { dc, zone, members: [] }));
    group.members.push(member);
  }
  const memberOrder = (a: Member, b: Member) =>
    byText(a.host, b.host) ||
    byText(a.project, b.project) ||
    byText(a.stack, b.stack) ||
    byText(a.environment, b.environment) ||
    byText(a.id, b.id);
  return [...groups.entries()]
    .sort(([a], [b]) => byText(a, b))
    .map(([, group]) => ({ ...group, members: group.members.sort(memberOrder) }));
}

/** Whether a requirement's container still runs with other endpoints than disco has now. */
export function differs(requirement: MemberService['requires'][number]): boolean {
  const applied = [...requirement.applied].sort();
  const current = [...requirement.current].sort();
  return applied.length !== current.length || applied.some((address, at) => address !== current[at]);
}

const list = (addresses: readonly string[]) => (addresses.length === 0 ? 'nothing' : addresses.join(', '));

/** The whole screen, newline ended. */
export function formatStatus(members: readonly Member[]): string {
  if (members.length === 0) return 'no members: no agent has told this disco what it runs\n';
  const lines: string[] = [];
  for (const group of groupMembers(members)) {
    lines.push(`data center ${group.dc}, zone ${group.zone}`);
    let host: string | undefined;
    for (const member of group.members) {
      if (member.host !== host) lines.push(`  host ${(host = member.host)}`);
      const trimmed = member.trimmed ? ', trimmed' : '';
      lines.push(
        `    ${member.stack}.${member.environment} (project ${member.project}, ${member.address}, scs ${member.version}): ${member.phase}${trimmed}`,
      );
      if (member.services.length === 0) lines.push('      no services');
      const nameOf = (service: (typeof member.services)[number]) =>
        service.instance ? `${service.service}-${service.instance}` : service.service;
      const width = Math.max(...member.services.map((service) => nameOf(service).length));
      for (const service of member.services) {
        const under = service.spread?.missing.length ? 'under-spread' : undefined;
        const notes = [service.health, service.drained ? 'drained' : undefined, under].filter(Boolean);
        const health = notes.length > 0 ? ` (${notes.join(', ')})` : '';
        lines.push(`      ${nameOf(service).padEnd(width)}  ${service.state}${health}`);
        for (const provide of service.provides) lines.push(`        provides ${provide.name} at ${provide.address}`);
        for (const requirement of service.requires) {
          const where = differs(requirement)
            ? `${list(requirement.current)}, but its container has ${list(requirement.applied)} (differs)`
            : list(requirement.current);
          lines.push(`        requires ${requirement.endpoint} = ${requirement.name}: ${where}`);
        }
      }
    }
  }
  return `${[...lines, ...spreadLines(members)].join('\n')}\n`;
}

/**
 * Where each spread service's instances run, by the groups it spreads over: `web.blog.prod by zone:
 * 2 in a, 2 in b`, and, while a group `over:` names has no live host, `under-spread: no live host in
 * zone c, its share runs elsewhere`.
 */
export function spreadLines(members: readonly Member[]): string[] {
  const services = new Map<string, { by: SpreadKey; counts: Map<string, number>; missing: Set<string> }>();
  for (const member of members)
    for (const service of member.services) {
      if (!service.spread) continue;
      const name = `${service.service}.${member.stack}.${member.environment}`;
      let seen = services.get(name);
      if (!seen) services.set(name, (seen = { by: service.spread.by, counts: new Map(), missing: new Set() }));
      const group = groupOf(seen.by, member) || UNKNOWN;
      seen.counts.set(group, (seen.counts.get(group) ?? 0) + 1);
      for (const missing of service.spread.missing) seen.missing.add(missing);
    }
  if (services.size === 0) return [];
  const lines = ['spread'];
  for (const [name, { by, counts, missing }] of [...services].sort(([a], [b]) => byText(a, b))) {
    const where = [...counts].sort(([a], [b]) => byText(a, b)).map(([group, count]) => `${count} in ${group}`);
    const under =
      missing.size > 0 ? `; under-spread: no live host in ${by} ${[...missing].sort().join(', ')}, its share runs elsewhere` : '';
    lines.push(`  ${name} by ${by}: ${where.join(', ')}${under}`);
  }
  return lines;
}
