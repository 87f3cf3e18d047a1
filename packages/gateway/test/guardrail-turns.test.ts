/**
 * Audio turns under input guardrails, in pieces: the turn state machine's transitions, and the
 * two views of a session's turn detection (what the upstream is told, what the client is shown).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Session, SessionConfig } from '@realtime-gateway/protocol';
import { DONE, nextTurn, type TurnInput, type TurnState } from '../src/guardrails/turn-state.js';
import { forClient, forUpstream, openingUpdate, viewAfter, viewOf } from '../src/guardrails/turn-view.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read session objects' fields as they go
type Json = any;

describe('turn state machine', () => {
  const table: [TurnState, TurnInput, TurnState | typeof DONE][] = [
    ['transcribing', 'transcript', 'checking'],
    ['transcribing', 'transcription_failed', 'blocked'],
    ['transcribing', 'timeout', 'blocked'],
    ['transcribing', 'deleted', DONE],
    ['transcribing', 'passed', 'transcribing'],
    ['checking', 'passed', DONE],
    ['checking', 'blocked', 'blocked'],
    ['checking', 'deleted', DONE],
    ['checking', 'timeout', 'checking'],
    ['checking', 'transcript', 'checking'],
    ['blocked', 'transcript', 'blocked'],
    ['blocked', 'passed', 'blocked'],
    ['blocked', 'timeout', 'blocked'],
    ['blocked', 'deleted', DONE],
  ];
  for (const [state, input, next] of table)
    test(`${state} + ${input} → ${next}`, () => assert.equal(nextTurn(state, input), next));
});

const transcription = { model: 'gpt-4o-transcribe' };
const vad = { type: 'server_vad', threshold: 0.5, silence_duration_ms: 200, create_response: true };
const upstreamDefault = {
  type: 'realtime',
  id: 'sess_1',
  audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: vad } },
} as unknown as Session;

describe('turn views', () => {
  test("the client's view starts as the upstream's defaults", () => {
    assert.deepEqual(viewOf(upstreamDefault), { detecting: true, createResponse: true, transcription: null });
  });

  test('at open, the upstream is told not to answer turns and to transcribe them', () => {
    const update = openingUpdate(upstreamDefault, transcription) as Json;
    assert.equal(update.audio.input.turn_detection.create_response, false);
    assert.equal(update.audio.input.turn_detection.silence_duration_ms, 200);
    assert.deepEqual(update.audio.input.transcription, transcription);
    assert.equal(update.audio.input.format, undefined);
  });

  test('no opening update without turn detection, nor when the upstream already suits', () => {
    const off = { ...upstreamDefault, audio: { input: { turn_detection: null } } } as unknown as Session;
    assert.equal(openingUpdate(off, transcription), null);
    const suits = {
      ...upstreamDefault,
      audio: { input: { turn_detection: { ...vad, create_response: false }, transcription } },
    } as unknown as Session;
    assert.equal(openingUpdate(suits, transcription), null);
  });

  test("the client's update: create_response off upstream, its own value in its view", () => {
    const update = {
      type: 'realtime',
      instructions: 'Be brief.',
      audio: { input: { turn_detection: { type: 'semantic_vad' } } },
    } as SessionConfig;
    const view = viewAfter(viewOf(upstreamDefault), update);
    assert.deepEqual(view, { detecting: true, createResponse: true, transcription: null });
    const upstream = forUpstream(update, view, transcription) as Json;
    assert.deepEqual(upstream.audio.input.turn_detection, { type: 'semantic_vad', create_response: false });
    assert.deepEqual(upstream.audio.input.transcription, transcription);
    assert.equal(upstream.instructions, 'Be brief.');
  });

  test("the client's own transcription settings are kept, and shown", () => {
    const own = { model: 'whisper-1', language: 'fr' };
    const update = { type: 'realtime', audio: { input: { transcription: own } } } as SessionConfig;
    const view = viewAfter(viewOf(upstreamDefault), update);
    assert.deepEqual((forUpstream(update, view, transcription) as Json).audio.input.transcription, own);
    const shown = forClient(
      {
        ...upstreamDefault,
        audio: { input: { turn_detection: { ...vad, create_response: false }, transcription: own } },
      } as unknown as Session,
      view,
    ) as Json;
    assert.deepEqual(shown.audio.input.transcription, own);
    assert.equal(shown.audio.input.turn_detection.create_response, true);
  });

  test('an update that touches neither turn detection nor transcription goes as it came', () => {
    const update = { type: 'realtime', audio: { output: { voice: 'marin' } } } as SessionConfig;
    assert.equal(forUpstream(update, viewOf(upstreamDefault), transcription), null);
  });

  test('the client is shown its create_response and no transcription it did not ask for', () => {
    const update = {
      type: 'realtime',
      audio: {
        input: { turn_detection: { type: 'server_vad', create_response: false }, transcription: null },
      },
    } as SessionConfig;
    const view = viewAfter(viewOf(upstreamDefault), update);
    assert.deepEqual(view, { detecting: true, createResponse: false, transcription: null });
    const upstream = {
      ...upstreamDefault,
      audio: { input: { turn_detection: { type: 'server_vad', create_response: false }, transcription } },
    } as unknown as Session;
    const shown = forClient(upstream, view) as Json;
    assert.ok(!('transcription' in shown.audio.input));
    assert.equal(shown.audio.input.turn_detection.create_response, false);
  });
});
