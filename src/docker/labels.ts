/** The labels scs puts on what it creates, so it finds its own and nothing else. */
export const LABEL = {
  stack: 'scs.stack',
  environment: 'scs.environment',
  role: 'scs.role',
  /** The agent that owns it: its project name (see src/agent/identity.ts). */
  agent: 'scs.agent',
  host: 'scs.host',
  config: 'scs.config-hash',
  image: 'scs.image-hash',
} as const;
