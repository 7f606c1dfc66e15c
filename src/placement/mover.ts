// A move from any machine that reaches disco: check each service's move (move.ts), set the new
// placement, all at once, then follow the agents' member records until every service runs where it
// was placed and nowhere else (progress.ts). One that the new host cannot run, or that is not moved
// in time, is placed back where it was, and the mover says why.

import { setTimeout as delay } from 'node:timers/promises';
import type { ConsolaInstance } from 'consola';
import type { DiscoClient } from '../client/client.ts';
import { listMembers } from '../client/members.ts';
import { place, readPlacements } from '../client/placement.ts';
import { EXIT, UserError } from '../errors.ts';
import type { Member } from '../protocol/member.ts';
import type { Place, Placement } from '../protocol/placement.ts';
import { checkMove, type MoveAsked, type MovePlan } from './move.ts';
import { type Moving, progressOf } from './progress.ts';

export interface MoveOptions {
  /** How long the agents have, together, before what is not moved is placed back. */
  readonly timeoutMs: number;
  /** How long a service may fail to come up on its new host before it is placed back. */
  readonly failingMs?: number;
  /** How often the member records are read again. */
  readonly everyMs?: number;
  readonly logger: ConsolaInstance;
}

type Client = Pick<DiscoClient, 'request' | 'on'>;

/** `service.stack.environment`'s stack and environment, as a pattern for `members` and `placement`. */
const stackPattern = (service: string) => `*.*.${service.split('.').slice(1).join('.')}`;

/** Moves the services asked for; throws (one sentence) when one may not move, or was placed back. */
export async function move(client: Client, asked: readonly MoveAsked[], options: MoveOptions): Promise<Placement[]> {
  const { logger, timeoutMs, failingMs = 10_000, everyMs = 250 } = options;
  const patterns = [...new Set(asked.map((a) => stackPattern(a.service)))];
  const stored = new Map((await readAll(client, patterns, readPlacements)).map((p) => [p.service, p]));
  const members = await readAll(client, patterns, listMembers);
  const plans: Array<{ asked: MoveAsked; plan: MovePlan; provides: boolean }> = [];
  for (const one of asked) {
    const checked = checkMove(one, stored.get(one.service), members);
    if ('refused' in checked) throw new UserError(checked.refused);
    if ('already' in checked) {
      logger.info(`${one.service}: on host ${one.to} already`);
      continue;
    }
    plans.push({ asked: one, plan: checked.plan, provides: providesNow(one.service, members) });
  }
  if (plans.length === 0) return [];
  const placed = await place(
    client,
    plans.map(({ plan }) => plan.place),
  );
  for (const { asked: one, plan } of plans)
    logger.info(`${one.service}: placed on host ${one.to}${plan.from.length ? ` (from host ${plan.from.join(', ')}, ${plan.order})` : ''}`);

  const deadline = Date.now() + timeoutMs;
  const failingSince = new Map<string, number>();
  const said = new Map<string, string>();
  let pending = plans.map(({ asked: one, provides }): Moving => ({ service: one.service, to: one.to, provides }));
  while (pending.length > 0) {
    await delay(everyMs);
    const now = await readAll(client, patterns, listMembers);
    const left: Moving[] = [];
    const back: Array<{ moving: Moving; why: string }> = [];
    for (const moving of pending) {
      const progress = progressOf(moving, now);
      if (progress.state === 'moved') {
        logger.success(`${moving.service}: moved to host ${moving.to}`);
        continue;
      }
      if (progress.state === 'lost') back.push({ moving, why: progress.why });
      else if (progress.state === 'failing') {
        const since = failingSince.get(moving.service) ?? Date.now();
        failingSince.set(moving.service, since);
        if (Date.now() - since >= failingMs) back.push({ moving, why: progress.why });
        else left.push(moving);
      } else {
        failingSince.delete(moving.service);
        if (said.get(moving.service) !== progress.detail) logger.info(`${moving.service}: ${progress.detail}`);
        said.set(moving.service, progress.detail);
        left.push(moving);
      }
    }
    if (back.length === 0 && left.length > 0 && Date.now() > deadline)
      for (const moving of left.splice(0)) back.push({ moving, why: `it was not moved within ${Math.round(timeoutMs / 1000)} s` });
    if (back.length > 0) {
      await placeBack(client, back, plans, logger);
      const timedOut = back.every(({ why }) => why.startsWith('it was not moved within'));
      throw new UserError(
        back.map(({ moving, why }) => `${moving.service} was not moved to host ${moving.to}: ${why}`).join('; '),
        timedOut ? EXIT.timeout : EXIT.failure,
      );
    }
    pending = left;
  }
  await settle(client, placed);
  return placed;
}

/** Each service placed back on the host it left, if it left one: its old host starts it again, or never stopped it. */
async function placeBack(
  client: Client,
  back: ReadonlyArray<{ moving: Moving; why: string }>,
  plans: ReadonlyArray<{ plan: MovePlan }>,
  logger: ConsolaInstance,
): Promise<void> {
  const now = new Map((await readPlacements(client, stackPattern(back[0]!.moving.service))).map((p) => [p.service, p]));
  const places: Place[] = [];
  for (const { moving, why } of back) {
    const plan = plans.find(({ plan: p }) => p.place.service === moving.service)!.plan;
    const from = plan.place.from;
    const stored = now.get(moving.service);
    if (!from || !stored) {
      logger.warn(`${moving.service}: ${why}; it ran nowhere before, so it stays placed on host ${moving.to}`);
      continue;
    }
    const { revision: _revision, by: _by, since: _since, from: _from, withoutData: _withoutData, ...kept } = stored;
    places.push({ ...kept, target: { host: from }, cause: 'rollback', revision: stored.revision });
    logger.warn(`${moving.service}: ${why}; placing it back on host ${from}`);
  }
  if (places.length > 0) await place(client, places);
}

/** The move is over: `from` goes, so that `scs placement` no longer shows it moving. A later change wins. */
async function settle(client: Client, placed: readonly Placement[]): Promise<void> {
  const places = placed.flatMap(({ revision, by: _by, since: _since, from, ...kept }): Place[] => (from ? [{ ...kept, revision }] : []));
  if (places.length === 0) return;
  try {
    await place(client, places);
  } catch (error) {
    if ((error as { code?: string }).code !== 'conflict') throw error;
  }
}

function providesNow(service: string, members: readonly Member[]): boolean {
  const [name, stack, environment] = service.split('.');
  return members.some(
    (m) => m.stack === stack && m.environment === environment && m.services.some((s) => s.service === name && s.provides.length > 0),
  );
}

async function readAll<T>(client: Client, patterns: readonly string[], read: (client: Client, name: string) => Promise<T[]>): Promise<T[]> {
  return (await Promise.all(patterns.map((pattern) => read(client, pattern)))).flat();
}
