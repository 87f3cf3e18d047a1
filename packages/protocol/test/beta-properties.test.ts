/**
 * Properties of the beta dialect's events over every value the schemas allow: an event both
 * dialects can express (its translation reports nothing) comes back from a round trip as it
 * was, up to the one form each value has on the other side (beta `["text", "audio"]` is GA
 * `["audio"]`, `audio/pcm` always has its rate, an empty `audio` block is no block, beta turn
 * detection without a type is server VAD, in either); what a translation makes is valid in its dialect;
 * and the beta parsers never throw.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type BetaClientEvent,
  type BetaServerEvent,
  betaClientEventToGa,
  betaServerEventToGa,
  type ClientEvent,
  gaClientEventToBeta,
  gaServerEventToBeta,
  newItemLifecycle,
  type ParseResult,
  parseBetaClientEvent,
  parseBetaServerEvent,
  parseClientEvent,
  parseServerEvent,
  type ServerEvent,
  type TranscriptionSessionUpdateEvent,
  transcriptionSessionUpdateToConfig,
} from '@realtime-gateway/protocol';
import {
  BETA_CLIENT_EVENT_SCHEMAS,
  BETA_SERVER_EVENT_SCHEMAS,
  CLIENT_EVENT_SCHEMAS,
  SERVER_EVENT_SCHEMAS,
} from '@realtime-gateway/protocol/schema';
import fc from 'fast-check';
import { arbitraryFor } from './support/arbitrary.js';
import { fuzzParameters, mutatedEvent } from './support/hostile.js';

const asJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function modalities(list: readonly string[], audioIs: readonly string[]): string[] {
  if (list.includes('audio')) return [...audioIs];
  return list.includes('text') ? ['text'] : [];
}

/** A GA value in the one form a round trip through beta gives it. */
function canonicalGa(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    if (key === 'output_modalities') return modalities(value as string[], ['audio']);
    return value.map((entry) => canonicalGa(entry));
  }
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [field, inner] of Object.entries(value)) out[field] = canonicalGa(inner, field);
  if (out.type === 'audio/pcm') out.rate = 24000;
  // A transcription session reports turn detection with an optional type; beta's default is server VAD.
  if (key === 'turn_detection' && out.type === undefined) out.type = 'server_vad';
  if (key !== 'audio') {
    const audio = out.audio;
    if (typeof audio === 'object' && audio !== null) {
      const blocks = Object.fromEntries(
        Object.entries(audio).filter(([, block]) => Object.keys(block as object).length > 0),
      );
      if (Object.keys(blocks).length === 0) delete out.audio;
      else out.audio = blocks;
    }
  }
  return out;
}

/** A beta value in the one form a round trip through GA gives it. */
function canonicalBeta(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    if (key === 'modalities') return modalities(value as string[], ['text', 'audio']);
    return value.map((entry) => canonicalBeta(entry));
  }
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [field, inner] of Object.entries(value)) out[field] = canonicalBeta(inner, field);
  if (key === 'turn_detection' && out.type === undefined) return { type: 'server_vad', ...out };
  return out;
}

/** The event is valid in its dialect, strictly. */
function assertStrict(
  event: unknown,
  parse: (input: unknown, options: { strict: true }) => ParseResult<unknown>,
) {
  const result = parse(event, { strict: true });
  assert.ok(result.ok && result.known, `${JSON.stringify(event)}: ${!result.ok && result.error.message}`);
}

/**
 * GA events whose round trip through beta is not one event for one: the item lifecycle (tested
 * as a stream in beta-events.test.ts), and GA's own `conversation.item.created`, which beta
 * hands back as GA's pair.
 */
const GA_LIFECYCLE = new Set([
  'conversation.item.added',
  'conversation.item.done',
  'conversation.item.created',
]);

/**
 * GA's flat-shape transcription session events: they cross to beta unchanged, and beta's events
 * of the same names come back to GA as `session.update` and `session.updated` of a
 * transcription session, so their round trip is the equivalent event, not the same one.
 */
const GA_FLAT_TRANSCRIPTION = new Set(['transcription_session.update', 'transcription_session.updated']);

/**
 * How valid the GA form of a fully translated beta event can be. Some beta events lack a
 * field GA requires, so their GA form is not valid GA at all: a session object without its id
 * or object (REST answers may lack them; events have them), a transcript without `usage`. And
 * GA's session objects, as the spec reports them, are narrower than the settings a client may
 * give (no `null` transcription; a transcription session's turn detection has only the server
 * VAD fields; a voice by name only, not a custom voice by id), so a session is checked
 * leniently, or not at all with a custom voice.
 */
function gaValidity(event: BetaServerEvent): 'strict' | 'lenient' | 'none' {
  if (event.type === 'conversation.item.input_audio_transcription.completed')
    return event.usage == null ? 'none' : 'strict';
  if ('session' in event) {
    const { id, object } = event.session;
    const customVoice = 'voice' in event.session && typeof event.session.voice === 'object';
    return id == null || object == null || customVoice ? 'none' : 'lenient';
  }
  return 'strict';
}

const RUNS = fuzzParameters(60);

describe('GA → beta → GA is the identity on what both can express', () => {
  for (const [type, schema] of Object.entries(SERVER_EVENT_SCHEMAS)) {
    if (GA_LIFECYCLE.has(type) || GA_FLAT_TRANSCRIPTION.has(type)) continue;
    test(`server ${type}`, () => {
      fc.assert(
        fc.property(arbitraryFor(schema), (generated) => {
          const ga = asJson(generated) as ServerEvent;
          const beta = gaServerEventToBeta(ga, newItemLifecycle());
          for (const field of beta.unsupported) assert.ok(field.message.includes(`'${field.param}'`));
          if (beta.unsupported.length > 0) return;
          assert.equal(beta.value.length, 1);
          assertStrict(beta.value[0], parseBetaServerEvent);
          const back = betaServerEventToGa(beta.value[0]!, newItemLifecycle());
          assert.deepEqual(back.unsupported, []);
          assert.deepEqual(back.value, [canonicalGa(ga)]);
        }),
        RUNS,
      );
    });
  }
  for (const [type, schema] of Object.entries(CLIENT_EVENT_SCHEMAS)) {
    if (GA_FLAT_TRANSCRIPTION.has(type)) continue;
    test(`client ${type}`, () => {
      fc.assert(
        fc.property(arbitraryFor(schema), (generated) => {
          const ga = asJson(generated) as ClientEvent;
          const beta = gaClientEventToBeta(ga);
          if (beta.unsupported.length > 0) return;
          assert.equal(beta.value.length, 1);
          assertStrict(beta.value[0], parseBetaClientEvent);
          const back = betaClientEventToGa(beta.value[0]!);
          assert.deepEqual(back.unsupported, []);
          assert.deepEqual(back.value, [canonicalGa(ga)]);
          assertStrict(back.value[0], parseClientEvent);
        }),
        RUNS,
      );
    });
  }
});

describe('GA transcription_session.update through beta', () => {
  test('is beta unchanged, and comes back as the session.update it means', () => {
    fc.assert(
      fc.property(arbitraryFor(CLIENT_EVENT_SCHEMAS['transcription_session.update']), (generated) => {
        const ga = asJson(generated) as TranscriptionSessionUpdateEvent;
        const beta = gaClientEventToBeta(ga);
        assert.deepEqual(beta.unsupported, []);
        assert.deepEqual(beta.value, [ga]);
        assertStrict(beta.value[0], parseBetaClientEvent);
        const back = betaClientEventToGa(beta.value[0]!);
        assert.deepEqual(back.unsupported, []);
        const { type: _type, ...rest } = ga;
        assert.deepEqual(back.value, [
          { ...rest, type: 'session.update', session: transcriptionSessionUpdateToConfig(ga.session).value },
        ]);
        assertStrict(back.value[0], parseClientEvent);
      }),
      RUNS,
    );
  });
});

describe('beta → GA → beta is the identity on what both can express', () => {
  for (const [type, schema] of Object.entries(BETA_SERVER_EVENT_SCHEMAS)) {
    if (type === 'conversation.item.created') continue;
    test(`server ${type}`, () => {
      fc.assert(
        fc.property(arbitraryFor(schema), (generated) => {
          const beta = asJson(generated) as BetaServerEvent;
          const ga = betaServerEventToGa(beta, newItemLifecycle());
          if (ga.unsupported.length > 0) return;
          assert.equal(ga.value.length, 1);
          const validity = gaValidity(beta);
          if (validity === 'strict') assertStrict(ga.value[0], parseServerEvent);
          if (validity === 'lenient') assert.ok(parseServerEvent(ga.value[0]).ok);
          const back = gaServerEventToBeta(ga.value[0]!, newItemLifecycle());
          assert.deepEqual(back.unsupported, []);
          assert.deepEqual(back.value, [canonicalBeta(beta)]);
        }),
        RUNS,
      );
    });
  }
  for (const [type, schema] of Object.entries(BETA_CLIENT_EVENT_SCHEMAS)) {
    test(`client ${type}`, () => {
      fc.assert(
        fc.property(arbitraryFor(schema), (generated) => {
          const beta = asJson(generated) as BetaClientEvent;
          const ga = betaClientEventToGa(beta);
          for (const field of ga.unsupported) assert.ok(field.message.includes(`'${field.param}'`));
          if (ga.unsupported.length > 0) return;
          assertStrict(ga.value[0], parseClientEvent);
          const back = gaClientEventToBeta(ga.value[0]!);
          assert.deepEqual(back.unsupported, []);
          assert.deepEqual(back.value, [canonicalBeta(beta)]);
        }),
        RUNS,
      );
    });
  }

  test('a beta item created and finished becomes GA added and done, and back the one created', () => {
    fc.assert(
      fc.property(arbitraryFor(BETA_SERVER_EVENT_SCHEMAS['conversation.item.created']), (generated) => {
        const beta = asJson(generated) as BetaServerEvent & { type: 'conversation.item.created' };
        const toGa = newItemLifecycle();
        const ga = betaServerEventToGa(beta, toGa);
        if (ga.unsupported.length > 0) return;
        const types = ga.value.map((event) => event.type);
        assert.equal(types[0], 'conversation.item.added');
        assert.equal(types.length === 2, toGa.open.size === 0);
        const toBeta = newItemLifecycle();
        const back = ga.value.flatMap((event) => gaServerEventToBeta(event, toBeta).value);
        assert.deepEqual(back, [canonicalBeta(beta)]);
      }),
      fuzzParameters(200),
    );
  });
});

describe('the beta parsers never throw', () => {
  const sides = [
    ['client', BETA_CLIENT_EVENT_SCHEMAS, parseBetaClientEvent],
    ['server', BETA_SERVER_EVENT_SCHEMAS, parseBetaServerEvent],
  ] as const;
  for (const [side, schemas, parse] of sides) {
    test(`${side}: arbitrary values, strings and bytes give a result, a rejection a ProtocolError`, () => {
      const input = fc.oneof(fc.anything(), fc.string(), fc.uint8Array({ maxLength: 64 }), fc.json());
      fc.assert(
        fc.property(input, fc.boolean(), (value, strict) => {
          const result = parse(value, { strict });
          if (!result.ok) assert.ok(result.error.message.length > 0 && typeof result.error.code === 'string');
        }),
        fuzzParameters(500),
      );
    });

    test(`${side}: valid beta events with one thing wrong; every rejection names a field or the frame`, () => {
      fc.assert(
        fc.property(mutatedEvent(schemas), fc.boolean(), (event, strict) => {
          const result = parse(JSON.stringify(event), { strict });
          if (!result.ok) assert.equal(result.error.param === null, result.error.path.length === 0);
        }),
        fuzzParameters(300),
      );
    });

    test(`${side}: every valid beta event parses strictly`, () => {
      fc.assert(
        fc.property(fc.oneof(...Object.values(schemas).map((schema) => arbitraryFor(schema))), (event) => {
          assertStrict(JSON.parse(JSON.stringify(event)), parse);
        }),
        fuzzParameters(300),
      );
    });
  }
});
