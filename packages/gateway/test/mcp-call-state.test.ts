/**
 * The call state machine: every event in every state, those it allows and those it refuses.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CallEvent, type CallState, transition } from '../src/mcp/call-state.js';

const EVENTS: Record<string, CallEvent> = {
  start: { type: 'start', approval: false },
  'start (approval)': { type: 'start', approval: true },
  approve: { type: 'approve' },
  reject: { type: 'reject' },
  expire: { type: 'expire' },
  cancel: { type: 'cancel' },
  finish: { type: 'finish' },
};

/** The whole table: the next state, or null where the event is refused. */
const EXPECTED: Record<CallState, Record<keyof typeof EVENTS, CallState | null>> = {
  streaming: {
    start: 'running',
    'start (approval)': 'awaiting_approval',
    approve: null,
    reject: null,
    expire: null,
    cancel: 'settled',
    finish: null,
  },
  awaiting_approval: {
    start: null,
    'start (approval)': null,
    approve: 'running',
    reject: 'settled',
    expire: 'settled',
    cancel: 'settled',
    finish: null,
  },
  running: {
    start: null,
    'start (approval)': null,
    approve: null,
    reject: null,
    expire: null,
    cancel: null,
    finish: 'settled',
  },
  settled: {
    start: null,
    'start (approval)': null,
    approve: null,
    reject: null,
    expire: null,
    cancel: null,
    finish: null,
  },
};

describe('the call state machine', () => {
  for (const [state, row] of Object.entries(EXPECTED) as [CallState, Record<string, CallState | null>][]) {
    for (const [name, expected] of Object.entries(row)) {
      const verb = expected === null ? 'refuses' : `→ ${expected} on`;
      test(`${state} ${verb} ${name}`, () => {
        assert.equal(transition(state, EVENTS[name]!), expected);
      });
    }
  }

  test('the table covers every state and every event', () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), ['awaiting_approval', 'running', 'settled', 'streaming']);
    for (const row of Object.values(EXPECTED))
      assert.deepEqual(Object.keys(row).sort(), Object.keys(EVENTS).sort());
  });

  test('every path from streaming ends in settled, and settled is final', () => {
    const paths: CallEvent[][] = [
      [EVENTS.start!, EVENTS.finish!],
      [EVENTS['start (approval)']!, EVENTS.approve!, EVENTS.finish!],
      [EVENTS['start (approval)']!, EVENTS.reject!],
      [EVENTS['start (approval)']!, EVENTS.expire!],
      [EVENTS['start (approval)']!, EVENTS.cancel!],
      [EVENTS.cancel!],
    ];
    for (const path of paths) {
      let state: CallState = 'streaming';
      for (const event of path) {
        const next = transition(state, event);
        assert.notEqual(next, null, `${state} on ${event.type}`);
        state = next as CallState;
      }
      assert.equal(state, 'settled');
      for (const event of Object.values(EVENTS)) assert.equal(transition(state, event), null);
    }
  });
});
