import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clampReason } from '../src/legs/websocket-leg.js';
import { CloseCode, relayableCloseCode } from '../src/session/close-codes.js';
import {
  type EndCause,
  isRelaying,
  type SessionEvent,
  type SessionState,
  transition,
} from '../src/session/state.js';

const STATES: SessionState[] = [
  'connecting',
  'open',
  'replacing',
  'detached',
  'draining',
  'closing',
  'closed',
];
const CAUSES: EndCause[] = [
  'client_closed',
  'upstream_closed',
  'upstream_lost',
  'client_lost',
  'terminated',
  'idle_timeout',
  'max_duration',
  'buffer_overflow',
  'shutdown',
  'policy',
];
const EVENTS: SessionEvent[] = [
  { type: 'open' },
  { type: 'refused' },
  { type: 'drain' },
  { type: 'replace' },
  { type: 'replaced' },
  { type: 'detach' },
  { type: 'resumed' },
  { type: 'closed' },
  ...CAUSES.map((cause) => ({ type: 'end' as const, cause })),
];

/** The complete transition table: every (state, event) pair not listed is refused. */
const ALLOWED: Record<SessionState, Partial<Record<SessionEvent['type'], SessionState>>> = {
  connecting: { open: 'open', refused: 'closed' },
  open: { drain: 'draining', replace: 'replacing', detach: 'detached', end: 'closing' },
  replacing: { replaced: 'open', end: 'closing' },
  detached: { resumed: 'open', end: 'closing' },
  draining: { end: 'closing' },
  closing: { closed: 'closed' },
  closed: {},
};

describe('session state machine', () => {
  for (const state of STATES) {
    for (const event of EVENTS) {
      const expected = ALLOWED[state][event.type] ?? null;
      const label = event.type === 'end' ? `end(${event.cause})` : event.type;
      it(`${state} --${label}--> ${expected ?? 'refused'}`, () => {
        assert.equal(transition(state, event), expected);
      });
    }
  }

  it('relays frames only while open, replacing its upstream, waiting for its client, or draining', () => {
    assert.deepEqual(
      STATES.filter((s) => isRelaying(s)),
      ['open', 'replacing', 'detached', 'draining'],
    );
  });
});

describe('close codes', () => {
  it('relays application and standard codes unchanged', () => {
    for (const code of [1000, 1001, 1008, 1011, 1013, 3000, 4000, 4999]) {
      assert.equal(relayableCloseCode(code, CloseCode.internalError), code);
    }
  });

  it('maps codes that cannot be sent in a close frame', () => {
    assert.equal(relayableCloseCode(1005, 1011), 1000);
    assert.equal(relayableCloseCode(1006, 1011), 1011);
    assert.equal(relayableCloseCode(1015, 1011), 1011);
    assert.equal(relayableCloseCode(1004, 1011), 1011);
    assert.equal(relayableCloseCode(2500, 1011), 1011);
    assert.equal(relayableCloseCode(5000, 1011), 1011);
  });

  it('keeps reasons within 123 bytes without splitting a character', () => {
    assert.equal(clampReason('short'), 'short');
    const long = 'é'.repeat(100);
    const clamped = clampReason(long);
    assert.ok(Buffer.byteLength(clamped) <= 123);
    assert.equal(clamped, 'é'.repeat(61));
  });
});
