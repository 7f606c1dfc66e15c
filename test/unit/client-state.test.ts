import { describe, expect, it } from 'vitest';
import { type ConnectionState, ConnectionStateMachine, TRANSITIONS } from '../../src/client/connection-state.ts';

const STATES = Object.keys(TRANSITIONS) as ConnectionState[];

/** A machine driven into `state` along listed moves, recording entry actions and the trace. */
function machineIn(state: ConnectionState) {
  const entered: string[] = [];
  const traced: string[] = [];
  const machine = new ConnectionStateMachine(
    (to, from, reason) => entered.push(`${from}>${to}:${reason}`),
    (line) => traced.push(line),
  );
  const path: Record<ConnectionState, ConnectionState[]> = {
    idle: [],
    connecting: ['connecting'],
    handshaking: ['connecting', 'handshaking'],
    ready: ['connecting', 'handshaking', 'ready'],
    'backing-off': ['connecting', 'backing-off'],
    closing: ['connecting', 'handshaking', 'ready', 'closing'],
    closed: ['closed'],
  };
  for (const step of path[state]) expect(machine.transition(step, 'setup')).toBe(true);
  entered.length = 0;
  traced.length = 0;
  return { machine, entered, traced };
}

describe('the connection state machine', () => {
  it('lists exactly these moves', () => {
    // Golden text: a change to the table shows here, move by move.
    const table = STATES.map((from) => `${from} → ${TRANSITIONS[from].join(', ') || '(final)'}`).join('\n');
    expect(table).toBe(
      [
        'idle → connecting, closed',
        'connecting → handshaking, backing-off, closed',
        'handshaking → ready, backing-off, closed',
        'ready → backing-off, closing, closed',
        'backing-off → connecting, closed',
        'closing → closed',
        'closed → (final)',
      ].join('\n'),
    );
  });

  for (const from of STATES) {
    for (const to of STATES) {
      const allowed = TRANSITIONS[from].includes(to);
      it(`${allowed ? 'makes' : 'refuses'} the move ${from} → ${to}`, () => {
        const { machine, entered, traced } = machineIn(from);
        expect(machine.state).toBe(from);
        expect(machine.can(to)).toBe(allowed);
        expect(machine.transition(to, 'because')).toBe(allowed);
        if (allowed) {
          expect(machine.state).toBe(to);
          expect(entered).toEqual([`${from}>${to}:because`]);
          expect(traced).toEqual([`${from} → ${to}: because`]);
          expect(machine.history.at(-1)).toBe(`${from} → ${to}: because`);
        } else {
          expect(machine.state).toBe(from);
          expect(entered).toEqual([]);
          expect(traced).toEqual([`refused ${from} → ${to}: because`]);
        }
      });
    }
  }

  it('starts idle and keeps a bounded history of its moves', () => {
    const machine = new ConnectionStateMachine(() => {});
    expect(machine.state).toBe('idle');
    machine.transition('connecting', 'connect');
    for (let round = 0; round < 100; round++) {
      machine.transition('backing-off', `lost ${round}`);
      machine.transition('connecting', 'backoff over');
    }
    expect(machine.history).toHaveLength(64);
    expect(machine.history.at(-1)).toBe('backing-off → connecting: backoff over');
    expect(machine.history.at(-2)).toBe('connecting → backing-off: lost 99');
  });

  it('runs the entry action after the state has changed, so an action may move on at once', () => {
    const seen: ConnectionState[] = [];
    const machine: ConnectionStateMachine = new ConnectionStateMachine((to) => {
      seen.push(machine.state);
      if (to === 'backing-off') machine.transition('connecting', 'no wait');
    });
    machine.transition('connecting', 'connect');
    machine.transition('backing-off', 'lost');
    expect(seen).toEqual(['connecting', 'backing-off', 'connecting']);
    expect(machine.state).toBe('connecting');
  });
});
