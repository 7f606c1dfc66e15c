// The life of the client's connection as one explicit state, with the moves it may make. Every
// move goes through `transition`, which refuses moves not listed here, runs the owner's entry
// action for the new state, and traces the move.

export type ConnectionState = 'idle' | 'connecting' | 'handshaking' | 'ready' | 'backing-off' | 'closing' | 'closed';

/** The only moves there are. `closed` is final. */
export const TRANSITIONS: { readonly [From in ConnectionState]: readonly ConnectionState[] } = {
  idle: ['connecting', 'closed'],
  connecting: ['handshaking', 'backing-off', 'closed'],
  handshaking: ['ready', 'backing-off', 'closed'],
  /** Straight to `closed`: handed over, without goodbye (the session is left to the server's grace, for a successor). */
  ready: ['backing-off', 'closing', 'closed'],
  'backing-off': ['connecting', 'closed'],
  /** Saying goodbye: no new requests, and closed once the server answers `bye` or stops waiting. */
  closing: ['closed'],
  closed: [],
};

const HISTORY = 64;

export class ConnectionStateMachine {
  private current: ConnectionState = 'idle';
  private readonly recent: string[] = [];

  constructor(
    /** The entry action of `to`, run after the state has changed. */
    private readonly enter: (to: ConnectionState, from: ConnectionState, reason: string) => void,
    private readonly trace: (line: string) => void = () => {},
  ) {}

  get state(): ConnectionState {
    return this.current;
  }

  /** The last moves, oldest first, as `from → to: reason`. */
  get history(): readonly string[] {
    return this.recent;
  }

  can(to: ConnectionState): boolean {
    return TRANSITIONS[this.current].includes(to);
  }

  /** Moves to `to` and runs its entry action; returns false, and changes nothing, if the move is not listed. */
  transition(to: ConnectionState, reason: string): boolean {
    const from = this.current;
    if (!this.can(to)) {
      this.trace(`refused ${from} → ${to}: ${reason}`);
      return false;
    }
    this.current = to;
    const line = `${from} → ${to}: ${reason}`;
    this.recent.push(line);
    if (this.recent.length > HISTORY) this.recent.shift();
    this.trace(line);
    this.enter(to, from, reason);
    return true;
  }
}
