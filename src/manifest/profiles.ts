// Profiles, as Compose has them: a service with `profiles:` runs only when one of them is active or
// it is named on the command line; one without runs always. The stack that comes out holds only the
// services that run, so that compiling, the agent and every listing need to know nothing of profiles.

import { ConfigError } from '../config/yaml.ts';
import type { LoadedStack } from './load.ts';
import type { Stack } from './schema.ts';

/** SCS_PROFILES's word for every profile, as COMPOSE_PROFILES's. */
export const EVERY_PROFILE = '*';

/** The profiles a comma-separated list names (`debug,tools`), lowercased as the stack file's are. */
export function parseProfiles(text: string): string[] {
  return text
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}

/** Whether a service with these profiles runs. */
function enabled(profiles: readonly string[] | undefined, active: ReadonlySet<string>): boolean {
  return profiles === undefined || profiles.length === 0 || active.has(EVERY_PROFILE) || profiles.some((p) => active.has(p));
}

/**
 * The stack with only the services that run: those without profiles, those with an active one, and
 * those `named` (their profiles are then active for them alone, as in Compose). A service that runs
 * and requires one of this stack that does not is refused, in one sentence naming both.
 */
export function withProfiles(loaded: LoadedStack, active: readonly string[], named: readonly string[] = []): LoadedStack {
  const { stack } = loaded;
  const on = new Set(active);
  const asked = new Set(named.map((name) => name.toLowerCase()));
  const runs = (name: string) => asked.has(name) || enabled(stack.services[name]?.profiles, on);
  const services: Stack['services'] = {};
  for (const [name, service] of Object.entries(stack.services)) if (runs(name)) services[name] = service;
  for (const [name, service] of Object.entries(services)) {
    for (const [endpoint, requirement] of Object.entries(service.requires)) {
      const own = (requirement.stack ?? stack.name) === stack.name && (requirement.environment ?? stack.environment) === stack.environment;
      const required = stack.services[requirement.service];
      if (!own || !required || services[requirement.service]) continue;
      const profiles = required.profiles ?? [];
      throw new ConfigError(
        `${loaded.locate(['services', name, 'requires', endpoint])} services.${name}.requires.${endpoint}: ${name} requires ${requirement.service}, which runs only with the profile${profiles.length > 1 ? 's' : ''} ${profiles.join(' or ')}: give --profile ${profiles[0]} (or SCS_PROFILES=${profiles[0]}), or name ${requirement.service} too`,
      );
    }
  }
  return { ...loaded, stack: { ...stack, services } };
}
