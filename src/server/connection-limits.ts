// How many connections the server holds, in total and from each source address, and whether one
// more may come in. Refusals are logged at most one line every 10 s, however fast they come.

import type { ConsolaInstance } from 'consola';

export class ConnectionLimits {
  private readonly perSource = new Map<string, number>();
  private total = 0;
  private refused = { count: 0, loggedAt: 0 };

  constructor(
    private readonly limits: { maxConnections: number; maxConnectionsPerSource: number },
    private readonly logger: ConsolaInstance,
  ) {}

  /** Why a new connection from `source` is refused, if it is; a refusal is logged. */
  refusal(source: string): string | undefined {
    const { maxConnections, maxConnectionsPerSource } = this.limits;
    let why: string | undefined;
    if (this.total >= maxConnections) why = `the server holds its maximum of ${maxConnections} connections`;
    else if ((this.perSource.get(source) ?? 0) >= maxConnectionsPerSource) {
      why = `the server holds its maximum of ${maxConnectionsPerSource} connections from ${source}`;
    }
    if (why) this.log(why);
    return why;
  }

  opened(source: string): void {
    this.total++;
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
  }

  closed(source: string): void {
    this.total--;
    const left = (this.perSource.get(source) ?? 1) - 1;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a source whose count is kept at 0 instead of forgotten is refused nothing more
    if (left > 0) this.perSource.set(source, left);
    else this.perSource.delete(source);
  }

  private log(why: string): void {
    this.refused.count++;
    const now = Date.now();
    if (now - this.refused.loggedAt < 10_000) return;
    this.logger.warn(`refused ${this.refused.count} connection(s); the last because ${why}`);
    this.refused = { count: 0, loggedAt: now };
  }
}
