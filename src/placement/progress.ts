// How far a move has come, read from the member records disco holds: the service is moved once the
// new host runs it, ready and provided, and no other host holds it any more. Pure.

import type { Member, MemberService } from '../protocol/member.ts';
import { runningOn } from './move.ts';

export type Progress =
  | { readonly state: 'moving'; readonly detail: string }
  | { readonly state: 'moved' }
  /** The new host cannot run it: `why` says what its agent reports. */
  | { readonly state: 'failing'; readonly why: string }
  /** The new host's agent is gone. */
  | { readonly state: 'lost'; readonly why: string };

export interface Moving {
  /** `service.stack.environment`. */
  readonly service: string;
  readonly to: string;
  /** It provides endpoints, so it is ready only once they are provided. */
  readonly provides: boolean;
}

/** Docker's and the agent's words for a container that is not coming up. */
const DOWN = new Set(['exited', 'dead', 'failed']);

export function progressOf(moving: Moving, members: readonly Member[]): Progress {
  const [name, stack, environment] = moving.service.split('.');
  const ours = members.filter((m) => m.stack === stack && m.environment === environment);
  const target = ours.find((m) => m.host === moving.to);
  if (!target) return { state: 'lost', why: `the agent on host ${moving.to} is gone` };
  const there = target.services.find((s) => s.service === name);
  const holders = runningOn(moving.service, members).filter((host) => host !== moving.to);
  if (there && (DOWN.has(there.state) || there.health === 'unhealthy'))
    return { state: 'failing', why: `on host ${moving.to} it is ${describe(there)}${there.why ? `: ${there.why}` : ''}` };
  const ready = there !== undefined && isReady(there, moving.provides);
  if (ready && holders.length === 0) return { state: 'moved' };
  const here = there ? `${describe(there)} on host ${moving.to}` : `not yet on host ${moving.to}`;
  const still = holders.length > 0 ? `, still on host ${holders.join(', ')}` : '';
  return { state: 'moving', detail: `${here}${still}` };
}

function isReady(service: MemberService, provides: boolean): boolean {
  if (service.state !== 'running') return false;
  if (service.health !== undefined && service.health !== 'healthy') return false;
  return !provides || service.provides.length > 0;
}

const describe = (service: MemberService) => `${service.state}${service.health ? ` (${service.health})` : ''}`;
