// The soak's small helpers outside scs (the sampler, the blog's writer) run in a host's namespace and
// say what they saw as one JSON object a line on their stdout.

import { type ChildProcess, spawn } from 'node:child_process';
import { type Host, namespace } from '../../test/helpers/harness.ts';

/** Runs `node SCRIPT ARGS...` in a host's namespace, handing each line it prints, parsed, to `onLine`. */
export function jsonLinesOn(host: Host, args: readonly string[], env: NodeJS.ProcessEnv, onLine: (value: unknown) => void): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', namespace(host), process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(JSON.parse(line));
  });
  return child;
}
