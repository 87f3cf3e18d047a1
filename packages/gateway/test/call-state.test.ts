/**
 * The call state machine, every transition: what each event does in each state, and what it
 * is refused in.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CallEvent, type CallState, transition } from '../src/calls/call-state.js';

const EVENTS: readonly CallEvent['type'][] = [
  'connect',
  'hangup',
  'reject',
  'connect_timeout',
  'lost',
  'session_ended',
];

/** Every state × event, as the machine is meant to be. */
const EXPECTED: Readonly<Record<CallState, Readonly<Record<CallEvent['type'], string | null>>>> = {
  answered: {
    connect: 'connected',
    hangup: 'ended:hangup',
    reject: 'ended:rejected',
    connect_timeout: 'ended:connect_timeout',
    lost: 'ended:peer_lost',
    session_ended: 'ended:session_ended',
  },
  connected: {
    connect: null,
    hangup: 'ended:hangup',
    reject: null,
    connect_timeout: null,
    lost: 'ended:peer_lost',
    session_ended: 'ended:session_ended',
  },
  ended: {
    connect: null,
    hangup: null,
    reject: null,
    connect_timeout: null,
    lost: null,
    session_ended: null,
  },
};

describe('call state', () => {
  for (const state of Object.keys(EXPECTED) as CallState[]) {
    for (const type of EVENTS) {
      const expected = EXPECTED[state][type];
      test(`${state} + ${type} → ${expected ?? 'refused'}`, () => {
        const next = transition(state, { type } as CallEvent);
        const shown = next === null ? null : next.cause === null ? next.state : `${next.state}:${next.cause}`;
        assert.equal(shown, expected);
      });
    }
  }
});
