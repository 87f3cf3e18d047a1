/**
 * `transcription_session.update` and `transcription_session.updated` in the GA model: refused
 * by path like every other event, built valid, never thrown on, peeked, and converted to and
 * from the GA transcription session.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  client,
  type ParseResult,
  parseClientEvent,
  parseServerEvent,
  peekEvent,
  server,
  type TranscriptionSession,
  toErrorEvent,
  transcriptionSessionToUpdated,
  transcriptionSessionUpdateToConfig,
} from '@realtime-gateway/protocol';
import {
  CLIENT_EVENT_SCHEMAS,
  SERVER_EVENT_SCHEMAS,
  TranscriptionSessionSchema,
  TranscriptionSessionUpdateConfigSchema,
  TranscriptionSessionUpdatedSessionSchema,
} from '@realtime-gateway/protocol/schema';
import fc from 'fast-check';
import { arbitraryFor } from './support/arbitrary.js';
import { fuzzParameters, mutatedEvent } from './support/hostile.js';

const RUNS = fuzzParameters(200);

/** The refusal of `event`: its code and param, as OpenAI's `error` names them. */
function refusal(result: ParseResult<unknown>): { code: string; param: string | null } {
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) throw new Error('unreachable');
  return { code: result.error.code, param: result.error.param };
}

const update = (session: unknown, extra: object = {}) => ({
  type: 'transcription_session.update',
  session,
  ...extra,
});
const updated = (session: unknown) => ({
  type: 'transcription_session.updated',
  event_id: 'event_1',
  session,
});

describe('transcription_session.update is checked', () => {
  test('a valid one is known, with turn detection and noise reduction off by null', () => {
    const result = parseClientEvent(
      update({ input_audio_format: 'pcm16', turn_detection: null, input_audio_noise_reduction: null }),
      { strict: true },
    );
    assert.ok(result.ok && result.known);
    assert.equal(result.event.type, 'transcription_session.update');
  });

  const cases: [string, unknown, { code: string; param: string | null }, boolean?][] = [
    [
      'no session',
      { type: 'transcription_session.update' },
      { code: 'missing_required_parameter', param: 'session' },
    ],
    ['a session that is not an object', update('pcm16'), { code: 'invalid_type', param: 'session' }],
    [
      'an audio format GA names as an object',
      update({ input_audio_format: { type: 'audio/pcm' } }),
      { code: 'invalid_type', param: 'session.input_audio_format' },
    ],
    [
      'an unknown audio format',
      update({ input_audio_format: 'pcm24' }),
      { code: 'invalid_value', param: 'session.input_audio_format' },
    ],
    [
      'semantic VAD, which transcription sessions do not offer',
      update({ turn_detection: { type: 'semantic_vad' } }),
      { code: 'invalid_value', param: 'session.turn_detection.type' },
    ],
    [
      'a fractional silence duration',
      update({ turn_detection: { silence_duration_ms: 1.5 } }),
      { code: 'invalid_type', param: 'session.turn_detection.silence_duration_ms' },
    ],
    [
      'an unknown include',
      update({ include: ['item.audio'] }),
      { code: 'invalid_value', param: 'session.include[0]' },
    ],
    [
      'a transcription model that is not a string',
      update({ input_audio_transcription: { model: 4 } }),
      { code: 'invalid_type', param: 'session.input_audio_transcription.model' },
    ],
    [
      "beta's modalities, strictly",
      update({ modalities: ['text'] }),
      { code: 'unknown_parameter', param: 'session.modalities' },
      true,
    ],
    [
      'an event id over 512 characters',
      update({}, { event_id: 'e'.repeat(513) }),
      { code: 'string_above_max_length', param: 'event_id' },
    ],
  ];
  for (const [name, event, expected, strict] of cases) {
    test(`refuses ${name}`, () => {
      assert.deepEqual(
        refusal(parseClientEvent(JSON.stringify(event), { strict: strict === true })),
        expected,
      );
    });
  }

  test('a refusal becomes the error event a server sends, naming the client event', () => {
    const result = parseClientEvent(update({ input_audio_format: 'pcm24' }, { event_id: 'evt_mine' }));
    assert.ok(!result.ok);
    const error = toErrorEvent(result.error);
    assert.equal(error.type, 'error');
    assert.deepEqual(
      { ...error.error, message: undefined },
      {
        type: 'invalid_request_error',
        code: 'invalid_value',
        message: undefined,
        param: 'session.input_audio_format',
        event_id: 'evt_mine',
      },
    );
    assert.match(error.error.message, /input_audio_format/);
    assert.ok(parseServerEvent(error, { strict: true }).ok);
  });
});

describe('transcription_session.updated is checked', () => {
  test('a valid one is known without a client secret, with turn detection off by null', () => {
    const result = parseServerEvent(
      updated({ input_audio_format: 'pcm16', modalities: ['text'], turn_detection: null }),
      {
        strict: true,
      },
    );
    assert.ok(result.ok && result.known);
  });

  const cases: [string, unknown, { code: string; param: string | null }, boolean?][] = [
    [
      'no event id',
      { type: 'transcription_session.updated', session: {} },
      { code: 'missing_required_parameter', param: 'event_id' },
    ],
    [
      'an unknown modality',
      updated({ modalities: ['video'] }),
      { code: 'invalid_value', param: 'session.modalities[0]' },
    ],
    [
      'a client secret without its value',
      updated({ client_secret: { expires_at: 1 } }),
      { code: 'missing_required_parameter', param: 'session.client_secret.value' },
    ],
    [
      'a threshold that is not a number',
      updated({ turn_detection: { threshold: 'high' } }),
      { code: 'invalid_type', param: 'session.turn_detection.threshold' },
    ],
    [
      'noise reduction, which the event has no field for, strictly',
      updated({ input_audio_noise_reduction: { type: 'near_field' } }),
      { code: 'unknown_parameter', param: 'session.input_audio_noise_reduction' },
      true,
    ],
  ];
  for (const [name, event, expected, strict] of cases) {
    test(`refuses ${name}`, () => {
      assert.deepEqual(refusal(parseServerEvent(event, { strict: strict === true })), expected);
    });
  }
});

describe('properties', () => {
  test('the parsers never throw on hostile variants of either event', () => {
    const hostile = fc.oneof(
      mutatedEvent({ 'transcription_session.update': CLIENT_EVENT_SCHEMAS['transcription_session.update'] }),
      mutatedEvent({
        'transcription_session.updated': SERVER_EVENT_SCHEMAS['transcription_session.updated'],
      }),
    );
    fc.assert(
      fc.property(hostile, fc.boolean(), (event, strict) => {
        for (const parse of [parseClientEvent, parseServerEvent]) {
          const result = parse(JSON.stringify(event), { strict });
          if (!result.ok) assert.equal(result.error.param === null, result.error.path.length === 0);
        }
      }),
      RUNS,
    );
  });

  test("the builders' events parse strictly, as built", () => {
    fc.assert(
      fc.property(
        arbitraryFor(TranscriptionSessionUpdateConfigSchema),
        arbitraryFor(TranscriptionSessionUpdatedSessionSchema),
        (request, answer) => {
          const sent = JSON.parse(JSON.stringify(client.transcriptionSessionUpdate(request as never)));
          const got = JSON.parse(
            JSON.stringify(server.transcriptionSessionUpdated({ session: answer as never })),
          );
          for (const [event, parse] of [
            [sent, parseClientEvent],
            [got, parseServerEvent],
          ] as const) {
            const result = parse(event, { strict: true });
            assert.ok(
              result.ok && result.known,
              `${JSON.stringify(event)}: ${!result.ok && result.error.message}`,
            );
            assert.deepEqual(result.event, event);
          }
        },
      ),
      RUNS,
    );
  });

  test('an update means a valid GA session.update, and any GA transcription session shows as a valid .updated', () => {
    fc.assert(
      fc.property(
        arbitraryFor(TranscriptionSessionUpdateConfigSchema),
        arbitraryFor(TranscriptionSessionSchema),
        (request, session) => {
          const config = transcriptionSessionUpdateToConfig(JSON.parse(JSON.stringify(request)));
          assert.deepEqual(config.unsupported, []);
          const asSessionUpdate = parseClientEvent(client.sessionUpdate(config.value), { strict: true });
          assert.ok(
            asSessionUpdate.ok && asSessionUpdate.known,
            asSessionUpdate.ok ? '' : asSessionUpdate.error.message,
          );
          const shown = transcriptionSessionToUpdated(
            JSON.parse(JSON.stringify(session)) as TranscriptionSession,
          );
          const event = parseServerEvent(server.transcriptionSessionUpdated({ session: shown }), {
            strict: true,
          });
          assert.ok(event.ok && event.known, event.ok ? '' : event.error.message);
        },
      ),
      RUNS,
    );
  });
});

describe('conversions', () => {
  test('the flat fields move under audio.input, and back', () => {
    const { value, unsupported } = transcriptionSessionUpdateToConfig({
      input_audio_format: 'g711_alaw',
      input_audio_transcription: { model: 'gpt-4o-transcribe', language: 'de' },
      turn_detection: { silence_duration_ms: 300 },
      include: ['item.input_audio_transcription.logprobs'],
    });
    assert.deepEqual(unsupported, []);
    assert.deepEqual(value, {
      type: 'transcription',
      include: ['item.input_audio_transcription.logprobs'],
      audio: {
        input: {
          format: { type: 'audio/pcma' },
          transcription: { model: 'gpt-4o-transcribe', language: 'de' },
          turn_detection: { type: 'server_vad', silence_duration_ms: 300 },
        },
      },
    });
    const session: TranscriptionSession = {
      id: 'sess_1',
      object: 'realtime.transcription_session',
      ...value,
    } as TranscriptionSession;
    assert.deepEqual(transcriptionSessionToUpdated(session), {
      input_audio_format: 'g711_alaw',
      input_audio_transcription: { model: 'gpt-4o-transcribe', language: 'de' },
      modalities: ['text'],
      turn_detection: { type: 'server_vad', silence_duration_ms: 300 },
    });
  });

  test('turn detection turned off shows as null', () => {
    const session = {
      type: 'transcription',
      id: 'sess_1',
      object: 'realtime.transcription_session',
      audio: { input: { turn_detection: null } },
    } as TranscriptionSession;
    assert.deepEqual(transcriptionSessionToUpdated(session), { modalities: ['text'], turn_detection: null });
  });
});

describe('peeking', () => {
  test('finds both types in text and bytes', () => {
    for (const event of [update({}, { event_id: 'evt_p' }), { ...updated({}), event_id: 'evt_p' }]) {
      const json = JSON.stringify(event);
      for (const frame of [json, new TextEncoder().encode(json)])
        assert.deepEqual(peekEvent(frame), { type: event.type, eventId: 'evt_p' });
    }
  });
});
