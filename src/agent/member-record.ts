// What an agent tells disco about itself as a member (docs/protocol.md, `member`), read from what it
// already knows: its runners' state and health, what they provide, and for each requirement what the
// container was given against what disco says now. Pure.

import { formatHostPort } from '../address.ts';
import type { CompiledService } from '../manifest/compiled.ts';
import type { MemberService } from '../protocol/member.ts';
import { checkedHealth, type ServiceFacts } from './facts.ts';
import { addresses } from './spec.ts';

const WORD = /^[a-z][a-z -]{0,31}$/;

/** An error's message as the protocol takes it: one line (control characters as spaces), at most 200 characters. */
const oneLine = (text: string) =>
  Array.from(text.replace(/\p{Cc}+/gu, ' ').trim())
    .slice(0, 200)
    .join('') || 'no reason given';

/** One service as its member record says it. */
export function memberService(facts: ServiceFacts, missing?: readonly string[]): MemberService {
  const { status, wanted } = facts;
  const state =
    status.kind !== 'container'
      ? status.kind
      : wanted === 'stopped' && status.docker === 'exited'
        ? 'stopped'
        : status.docker.toLowerCase();
  const checked = checkedHealth(facts);
  // The stack file's check overrides the image's: the agent's verdict, not Docker's.
  const health =
    status.kind !== 'container'
      ? undefined
      : facts.service.health
        ? checked && (checked.verdict === 'held' ? 'held out' : checked.verdict)
        : status.health?.toLowerCase();
  return {
    service: facts.service.name,
    ...(facts.service.instance ? { instance: facts.service.instance } : {}),
    // Docker's words are its own: one the protocol would refuse is told as unknown, not sent to be refused.
    state: WORD.test(state) ? state : 'unknown',
    ...(health && WORD.test(health) ? { health } : {}),
    ...(status.kind === 'failed' ? { why: oneLine(status.why) } : {}),
    ...(facts.drained ? { drained: true } : {}),
    ...(facts.service.spread ? { spread: { by: facts.service.spread.by, missing: [...(missing ?? [])] } } : {}),
    provides: facts.provisions.map(({ spec }) => ({ name: spec.name, address: formatHostPort(spec.host, spec.port) })),
    requires: facts.requires.map((requirement) => ({
      endpoint: requirement.compiled.endpoint,
      name: requirement.compiled.name,
      applied: [...requirement.applied],
      current: addresses(requirement.watch?.endpoints ?? []),
    })),
  };
}

/**
 * The member's own attributes: those every endpoint it provides has, with the same value (a service's
 * `attributes` are on each of its endpoints). A stack file, or a host's overlay, that gives its
 * services `dc` and `az` places the agent in a data center and a zone; an attribute its endpoints
 * disagree on says nothing about the host, and is left out. An agent that provides nothing has none.
 */
export function commonAttributes(services: readonly CompiledService[]): Record<string, string> {
  const [first, ...rest] = services.flatMap((service) => service.provides.map((provide) => provide.attributes));
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([key, value]) => rest.every((attributes) => attributes[key] === value)));
}
