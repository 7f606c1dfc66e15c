/** The labels scs puts on what it creates, so it finds its own and nothing else. */
export const LABEL = {
  stack: 'scs.stack',
  environment: 'scs.environment',
  role: 'scs.role',
  config: 'scs.config-hash',
  image: 'scs.image-hash',
} as const;
