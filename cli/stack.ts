// The flags that name a stack (`-f`, `-p`) and its profiles (`--profile`) on each deploy command; loading the stack is src/agent/stack-files.ts.

import type { Command } from 'cac';

export {
  agentFolder,
  checkServices,
  compileStack,
  filesToLoad,
  project,
  readStack,
  runningAgent,
  type StackFlags,
  selectServices,
  stackFiles,
} from '../src/agent/stack-files.ts';

/** `-f` and `-p` every deploy command takes after its verb too (`logs` spells the file `--file`: its `-f` is --follow). */
export function withStackFile(command: Command, { shortFile = true } = {}): Command {
  return command
    .option(
      shortFile ? '-f, --file <file>' : '--file <file>',
      'Stack file; repeat to add overlays (env SCS_FILE, a:b; default: scs-stack.yaml here or in a folder above)',
    )
    .option('-p, --project-name <name>', "This agent's part of the stack (env SCS_PROJECT_NAME; default: the host's name)")
    .option('--profile <name>', 'Also run the services of this profile; repeat for several (env SCS_PROFILES, a,b; * for every one)');
}
