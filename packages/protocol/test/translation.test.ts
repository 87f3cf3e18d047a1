/**
 * Translation sessions: every event parses, builds and is refused at the right path; the
 * session object and the client secret request and response check as the SDK types them; and
 * seeded property tests over the builders and hostile input.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isTranslationClientEventType,
  isTranslationServerEventType,
  parseClientEvent,
  parseTranslationClientEvent,
  parseTranslationServerEvent,
  peekEvent,
  TRANSLATION_CLIENT_EVENT_TYPES,
  TRANSLATION_SERVER_EVENT_TYPES,
  type TranslationClientEvent,
  type TranslationServerEvent,
  toErrorEvent,
  translationClient,
  translationServer,
} from '@realtime-gateway/protocol';
import {
  checkValue,
  TRANSLATION_CLIENT_EVENT_SCHEMAS,
  TRANSLATION_SERVER_EVENT_SCHEMAS,
  TranslationClientSecretRequestSchema,
  TranslationClientSecretResponseSchema,
  TranslationSessionSchema,
} from '@realtime-gateway/protocol/schema';
import fc from 'fast-check';
import type {
  RealtimeTranslationClientEvent,
  RealtimeTranslationClientSecretCreateRequest,
  RealtimeTranslationClientSecretCreateResponse,
  RealtimeTranslationServerEvent,
  RealtimeTranslationSession,
} from 'openai/resources/realtime/realtime';
import { arbitraryFor } from './support/arbitrary.js';
import { fuzzParameters, mutatedEvent } from './support/hostile.js';

const session = translationServer.session({
  model: 'gpt-realtime-translate',
  audio: {
    input: { transcription: { model: 'gpt-realtime-whisper' }, noise_reduction: { type: 'near_field' } },
    output: { language: 'es' },
  },
});

/** One of every client event, as the builders make them. */
const CLIENT_EVENTS: readonly TranslationClientEvent[] = [
  translationClient.sessionUpdate({ audio: { output: { language: 'fr' } } }),
  translationClient.inputAudioBufferAppend('AAAAAA=='),
  translationClient.sessionClose(),
];

/** One of every server event, as the builders make them. */
const SERVER_EVENTS: readonly TranslationServerEvent[] = [
  translationServer.error({
    error: { type: 'invalid_request_error', code: 'x', message: 'Bad.', param: null, event_id: null },
  }),
  translationServer.sessionCreated({ session }),
  translationServer.sessionUpdated({ session }),
  translationServer.sessionClosed(),
  translationServer.inputTranscriptDelta({ delta: 'hola ', elapsed_ms: 200 }),
  translationServer.outputTranscriptDelta({ delta: 'hello ', elapsed_ms: 200 }),
  translationServer.outputAudioDelta({ delta: 'AAAA', elapsed_ms: 400 }),
];

describe('the translation events', () => {
  test('are the ones the SDK names, each built once above', () => {
    assert.deepEqual(
      CLIENT_EVENTS.map((event) => event.type),
      TRANSLATION_CLIENT_EVENT_TYPES,
    );
    assert.deepEqual(
      SERVER_EVENTS.map((event) => event.type),
      TRANSLATION_SERVER_EVENT_TYPES,
    );
    assert.ok(TRANSLATION_CLIENT_EVENT_TYPES.every(isTranslationClientEventType));
    assert.ok(TRANSLATION_SERVER_EVENT_TYPES.every(isTranslationServerEventType));
    assert.equal(isTranslationClientEventType('response.create'), false);
    assert.equal(isTranslationServerEventType('response.done'), false);
  });

  // Every event the SDK can type is one of the package's (the compiler checks the assignments)
  // and parses strictly. The other way holds up to nulls: the package's optional fields also
  // admit the explicit null a lenient parse keeps.
  test("the SDK's events are the package's", () => {
    const sdkSession: RealtimeTranslationSession = {
      id: 'sess_1',
      type: 'translation',
      model: 'gpt-realtime-translate',
      expires_at: 1767225600,
      audio: {
        input: { transcription: { model: 'gpt-realtime-whisper' }, noise_reduction: null },
        output: {},
      },
    };
    const client: readonly RealtimeTranslationClientEvent[] = [
      { type: 'session.update', session: { audio: { output: { language: 'it' } } } },
      { type: 'session.input_audio_buffer.append', audio: 'AAAA', event_id: 'event_1' },
      { type: 'session.close' },
    ];
    const server: readonly RealtimeTranslationServerEvent[] = [
      { type: 'error', event_id: 'e0', error: { type: 'invalid_request_error', message: 'Bad.' } },
      { type: 'session.created', event_id: 'e1', session: sdkSession },
      { type: 'session.updated', event_id: 'e2', session: sdkSession },
      { type: 'session.closed', event_id: 'e3' },
      { type: 'session.input_transcript.delta', event_id: 'e4', delta: 'ciao', elapsed_ms: 200 },
      { type: 'session.output_transcript.delta', event_id: 'e5', delta: 'hi', elapsed_ms: null },
      {
        type: 'session.output_audio.delta',
        event_id: 'e6',
        delta: 'AAAA',
        elapsed_ms: 200,
        sample_rate: 24000,
        channels: 1,
        format: 'pcm16',
      },
    ];
    const asClient: readonly TranslationClientEvent[] = client;
    const asServer: readonly TranslationServerEvent[] = server;
    for (const event of asClient)
      assert.ok(parseTranslationClientEvent(event, { strict: true }).ok, event.type);
    for (const event of asServer)
      assert.ok(parseTranslationServerEvent(event, { strict: true }).ok, event.type);
    assert.deepEqual(
      asServer.map((event) => event.type),
      TRANSLATION_SERVER_EVENT_TYPES,
    );
  });

  for (const event of CLIENT_EVENTS) {
    test(`client ${event.type} parses strictly and peeks`, () => {
      const result = parseTranslationClientEvent(JSON.stringify(event), { strict: true });
      assert.ok(result.ok && result.known);
      assert.deepEqual(result.event, event);
      assert.deepEqual(peekEvent(JSON.stringify(event)), { type: event.type, eventId: event.event_id });
    });
  }

  for (const event of SERVER_EVENTS) {
    test(`server ${event.type} parses strictly and peeks`, () => {
      const result = parseTranslationServerEvent(new TextEncoder().encode(JSON.stringify(event)), {
        strict: true,
      });
      assert.ok(result.ok && result.known);
      assert.deepEqual(result.event, event);
      assert.deepEqual(peekEvent(JSON.stringify(event)), { type: event.type, eventId: event.event_id });
    });
  }

  test('the audio delta carries PCM16 at 24 kHz mono unless told otherwise', () => {
    const delta = translationServer.outputAudioDelta({ delta: 'AAAA', elapsed_ms: 0 });
    assert.equal(delta.sample_rate, 24000);
    assert.equal(delta.channels, 1);
    assert.equal(delta.format, 'pcm16');
    assert.equal(
      translationServer.outputAudioDelta({ delta: 'AAAA', sample_rate: 16000 }).sample_rate,
      16000,
    );
  });

  test("a translation session.update is not GA's, and the reverse", () => {
    const update = translationClient.sessionUpdate({ audio: { output: { language: 'de' } } });
    const ga = parseClientEvent(update);
    assert.ok(!ga.ok);
    assert.equal(ga.error.param, 'session.type');
    const realtime = parseTranslationClientEvent(
      { type: 'session.update', session: { type: 'realtime', instructions: 'x' } },
      { strict: true },
    );
    assert.ok(!realtime.ok);
    assert.equal(realtime.error.code, 'unknown_parameter');
    assert.equal(realtime.error.param, 'session.type');
  });
});

describe('refusals name the field', () => {
  const cases: readonly [string, unknown, string, string | null][] = [
    ['a missing audio', { type: 'session.input_audio_buffer.append' }, 'missing_required_parameter', 'audio'],
    [
      'audio of the wrong type',
      { type: 'session.input_audio_buffer.append', audio: 7 },
      'invalid_type',
      'audio',
    ],
    [
      'an unknown noise reduction',
      { type: 'session.update', session: { audio: { input: { noise_reduction: { type: 'studio' } } } } },
      'invalid_value',
      'session.audio.input.noise_reduction.type',
    ],
    [
      'a transcription without its model',
      { type: 'session.update', session: { audio: { input: { transcription: {} } } } },
      'missing_required_parameter',
      'session.audio.input.transcription.model',
    ],
    [
      'a language that is not a string',
      { type: 'session.update', session: { audio: { output: { language: 3 } } } },
      'invalid_type',
      'session.audio.output.language',
    ],
    [
      'a long event id',
      { type: 'session.close', event_id: 'e'.repeat(513) },
      'string_above_max_length',
      'event_id',
    ],
    ['a conversation event', { type: 'response.create' }, 'invalid_value', 'type'],
    ['no type', { audio: 'AAAA' }, 'missing_required_parameter', 'type'],
  ];
  for (const [what, frame, code, param] of cases) {
    test(what, () => {
      const result = parseTranslationClientEvent(JSON.stringify(frame), { strict: true });
      assert.ok(!result.ok);
      assert.equal(result.error.code, code);
      assert.equal(result.error.param, param);
      const error = toErrorEvent(result.error);
      assert.equal(error.type, 'error');
      assert.equal(error.error.param, param);
    });
  }

  test('server refusals: a negative elapsed_ms, another audio format, a realtime session', () => {
    const negative = parseTranslationServerEvent({
      type: 'session.output_transcript.delta',
      event_id: 'event_1',
      delta: 'x',
      elapsed_ms: -200,
    });
    assert.ok(!negative.ok);
    assert.equal(negative.error.code, 'integer_below_min_value');
    assert.equal(negative.error.param, 'elapsed_ms');
    const format = parseTranslationServerEvent({
      type: 'session.output_audio.delta',
      event_id: 'event_1',
      delta: 'AAAA',
      format: 'g711_ulaw',
    });
    assert.ok(!format.ok);
    assert.equal(format.error.param, 'format');
    const realtime = parseTranslationServerEvent({
      type: 'session.created',
      event_id: 'event_1',
      session: { ...session, type: 'realtime' },
    });
    assert.ok(!realtime.ok);
    assert.equal(realtime.error.param, 'session.type');
  });

  test('lenient parsing keeps what it does not know, and an explicit null elapsed_ms', () => {
    const result = parseTranslationServerEvent({
      type: 'session.input_transcript.delta',
      event_id: 'event_1',
      delta: 'x',
      elapsed_ms: null,
      segment: 3,
    });
    assert.ok(result.ok && result.known);
    assert.equal((result.event as unknown as { segment: number }).segment, 3);
    const unknown = parseTranslationServerEvent({ type: 'session.output_audio.done', event_id: 'e' });
    assert.ok(unknown.ok && !unknown.known);
  });
});

describe('client secrets for translation sessions', () => {
  test("the SDK's request and response check", () => {
    const request: RealtimeTranslationClientSecretCreateRequest = {
      session: { model: 'gpt-realtime-translate', audio: { output: { language: 'ja' } } },
      expires_after: { anchor: 'created_at', seconds: 600 },
    };
    assert.equal(checkValue(TranslationClientSecretRequestSchema, request, true), undefined);
    const response: RealtimeTranslationClientSecretCreateResponse = {
      value: 'ek_1',
      expires_at: 1767225600,
      session: {
        id: 'sess_1',
        type: 'translation',
        model: 'gpt-realtime-translate',
        expires_at: 1,
        audio: {},
      },
    };
    assert.equal(checkValue(TranslationClientSecretResponseSchema, response, true), undefined);
    assert.equal(checkValue(TranslationSessionSchema, session, true), undefined);
  });

  test('a request without a model, or with a lifetime out of bounds, is refused at its path', () => {
    assert.deepEqual(checkValue(TranslationClientSecretRequestSchema, { session: {} }, true)?.path, [
      'session',
      'model',
    ]);
    const long = checkValue(
      TranslationClientSecretRequestSchema,
      { session: { model: 'gpt-realtime-translate' }, expires_after: { seconds: 7201 } },
      true,
    );
    assert.equal(long?.code, 'integer_above_max_value');
    assert.deepEqual(long?.path, ['expires_after', 'seconds']);
  });
});

describe('properties', () => {
  const sides = [
    ['client', TRANSLATION_CLIENT_EVENT_SCHEMAS, parseTranslationClientEvent],
    ['server', TRANSLATION_SERVER_EVENT_SCHEMAS, parseTranslationServerEvent],
  ] as const;

  for (const [side, schemas, parse] of sides) {
    test(`every valid ${side} event parses strictly and serializes back to itself`, () => {
      for (const [type, schema] of Object.entries(schemas)) {
        fc.assert(
          fc.property(arbitraryFor(schema), (event) => {
            const json = JSON.stringify(event);
            const result = parse(json, { strict: true });
            assert.ok(result.ok && result.known, `${type}: ${json}`);
            assert.equal(JSON.stringify(result.event), json);
          }),
          { numRuns: 60, seed: 0x7a1 },
        );
      }
    });

    test(`the ${side} parser never throws on hostile input and names where it failed`, () => {
      fc.assert(
        fc.property(mutatedEvent(schemas), fc.boolean(), (event, strict) => {
          const result = parse(JSON.stringify(event), { strict });
          if (!result.ok) {
            assert.ok(result.error.message.length > 0);
            assert.equal(result.error.param === null, result.error.path.length === 0);
          }
        }),
        fuzzParameters(400),
      );
    });
  }

  test("builders' output parses strictly, whatever they are given", () => {
    const language = fc.option(fc.string({ maxLength: 12 }), { nil: undefined });
    const elapsed = fc.option(
      fc.nat({ max: 3_600_000 }).map((n) => n - (n % 200)),
      { nil: undefined },
    );
    fc.assert(
      fc.property(
        language,
        fc.base64String({ maxLength: 64 }),
        fc.string({ maxLength: 20 }),
        elapsed,
        (lang, audio, text, elapsedMs) => {
          const events: unknown[] = [
            translationClient.sessionUpdate(
              lang === undefined ? {} : { audio: { output: { language: lang } } },
            ),
            translationClient.inputAudioBufferAppend(audio),
            translationClient.sessionClose(),
          ];
          for (const event of events) assert.ok(parseTranslationClientEvent(event, { strict: true }).ok);
          const timed = elapsedMs === undefined ? {} : { elapsed_ms: elapsedMs };
          const server: unknown[] = [
            translationServer.sessionCreated({
              session: translationServer.session({
                model: 'gpt-realtime-translate',
                ...(lang === undefined ? {} : { audio: { output: { language: lang } } }),
              }),
            }),
            translationServer.inputTranscriptDelta({ delta: text, ...timed }),
            translationServer.outputTranscriptDelta({ delta: text, ...timed }),
            translationServer.outputAudioDelta({ delta: audio, ...timed }),
            translationServer.sessionClosed(),
          ];
          for (const event of server) assert.ok(parseTranslationServerEvent(event, { strict: true }).ok);
        },
      ),
      { numRuns: 200, seed: 0x7a2 },
    );
  });
});
