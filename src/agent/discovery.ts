// What the agent needs of disco: to provide endpoints and to watch the ones it requires.
// DiscoClient is the real one; the agent's fast tests use the pure registry in memory.

import type { Endpoint, ProvideSpec, ProvisionHandle, RequireSpec, Watch, WatchEvent } from '../client/client.ts';

export interface Discovery {
  provide(spec: ProvideSpec): Promise<ProvisionHandle>;
  require(spec: RequireSpec, onChange: (event: WatchEvent) => void): Promise<Watch>;
  /** Every endpoint of a name now. */
  list(name: string): Promise<Endpoint[]>;
}
