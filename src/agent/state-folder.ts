// Where an agent keeps its state (state.json, agent.log, agent.sock, agent.pid, disco.token,
// stack-id): with the agent, keyed by project and stack, never inside a folder people copy. This
// is the one function that decides it; everything else asks it.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { isLabel } from '../names.ts';

/**
 * The folder all agents of this user (or this system service) keep their state under:
 * SCS_STATE_DIR when set; under systemd, the unit's StateDirectory (STATE_DIRECTORY, /var/lib/scs);
 * otherwise the user's XDG state folder, `${XDG_STATE_HOME:-~/.local/state}/scs`.
 */
export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SCS_STATE_DIR) return absolute(env.SCS_STATE_DIR, 'SCS_STATE_DIR');
  // systemd lists one folder per StateDirectory= entry, separated by colons: the unit has one.
  const systemd = env.STATE_DIRECTORY?.split(':')[0];
  if (systemd) return absolute(systemd, 'STATE_DIRECTORY');
  // The XDG base directory rule: a relative XDG_STATE_HOME is invalid, and ignored.
  const xdg = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(xdg, 'scs');
}

/** The state folder of the agent of `project`'s part of `stack`: `<root>/<project>/<stack>`. */
export function stateFolder(project: string, stack: string, env: NodeJS.ProcessEnv = process.env): string {
  // Both are labels already (checked where they are read); checked again here, as they become a path.
  for (const [what, name] of [
    ['project', project],
    ['stack', stack],
  ] as const) {
    if (!isLabel(name)) throw new Error(`"${name}" is not a ${what} name like "blog" (letters, digits, inner hyphens)`);
  }
  return join(stateRoot(env), project, stack);
}

/** Where an older scs kept an agent's state: `.scs/<project>/` beside the stack file. */
export const legacyStateFolder = (stackDirectory: string, project: string) => join(stackDirectory, '.scs', project);

/** The one sentence said when an older scs's state folder is found beside the stack file; undefined when there is none. */
export function legacyNotice(stackDirectory: string, project: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const legacy = legacyStateFolder(stackDirectory, project);
  if (!existsSync(legacy)) return undefined;
  return `${legacy} was left by an older scs, which kept the agent's state beside the stack file; scs keeps it in ${stateRoot(env)} now, so stop that agent with scs down (it still finds it) and then delete ${join(stackDirectory, '.scs')}`;
}

function absolute(path: string, name: string): string {
  if (!isAbsolute(path)) throw new Error(`${name} must be an absolute path, not "${path}"`);
  return path;
}
