// `scs <verb> --help` as people read it: the command's description first (cac starts with a bare
// program name), and no `(default: true)` after a `--no-` flag.

import type { CAC } from 'cac';

interface HelpSection {
  title?: string;
  body: string;
}

const SCS = 'scs: runs services in Docker containers and connects them to each other through disco';

/** The help callback for `cli.help()`: rewrites cac's sections for the command being described. */
export function tidyHelp(cli: CAC): (sections: HelpSection[]) => HelpSection[] {
  return (sections) => {
    const command = cli.matchedCommand;
    const [first, ...rest] = sections;
    const lead = command?.description ? { body: command.description } : first && { body: SCS };
    return [...(lead ? [lead] : []), ...rest.map((section) => (section.title === 'Options' ? tidyOptions(section) : section))];
  };
}

export function tidyOptions(section: HelpSection): HelpSection {
  const lines = section.body
    .split('\n')
    // cac gives a `--no-x` flag the default true of `x`; the flag itself is off unless given.
    .map((line) => (line.trimStart().startsWith('--no-') ? line.replace(/\s*\(default: true\)\s*$/, '') : line.trimEnd()));
  return { ...section, body: lines.join('\n') };
}
