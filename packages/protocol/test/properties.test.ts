import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ParseResult,
  parseClientEvent,
  parseServerEvent,
  serializeEvent,
} from '@realtime-gateway/protocol';
import {
  AudioTranscriptionSchema,
  CLIENT_EVENT_SCHEMAS,
  IncludeSchema,
  McpToolSchema,
  ReasoningSchema,
  type Schema,
  SERVER_EVENT_SCHEMAS,
  TruncationSchema,
  VoiceSchema,
} from '@realtime-gateway/protocol/schema';
import fc from 'fast-check';
import { arbitraryFor } from './support/arbitrary.js';
import { fuzzParameters, mutatedEvent } from './support/hostile.js';

const encoder = new TextEncoder();
const RUNS = { numRuns: 60 };

type Parser = (input: unknown, options?: { strict?: boolean }) => ParseResult<unknown>;

const sides: readonly [string, Readonly<Record<string, Schema<unknown>>>, Parser][] = [
  ['client', CLIENT_EVENT_SCHEMAS, parseClientEvent],
  ['server', SERVER_EVENT_SCHEMAS, parseServerEvent],
];

describe('parse then serialize is the identity on valid events', () => {
  for (const [side, schemas, parse] of sides) {
    for (const [type, schema] of Object.entries(schemas)) {
      test(`${side} ${type}`, () => {
        fc.assert(
          fc.property(arbitraryFor(schema), (event) => {
            const json = JSON.stringify(event);
            const strict = parse(json, { strict: true });
            assert.ok(strict.ok && strict.known, `${json}: ${!strict.ok && strict.error.message}`);
            assert.equal(serializeEvent(strict.event as never), json);
          }),
          RUNS,
        );
      });
    }
  }
});

describe('unknown fields anywhere survive a lenient round trip', () => {
  for (const [side, schemas, parse] of sides) {
    test(`${side} events with extra fields and legacy names`, () => {
      const anyEvent = fc.oneof(
        ...Object.values(schemas).map((schema) => arbitraryFor(schema, { extraFields: true, legacy: true })),
      );
      fc.assert(
        fc.property(anyEvent, (event) => {
          const json = JSON.stringify(event);
          const result = parse(encoder.encode(json));
          assert.ok(result.ok && result.known, `${json}: ${!result.ok && result.error.message}`);
          assert.equal(serializeEvent(result.event as never), json);
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe('the parsers never throw', () => {
  for (const [side, schemas, parse] of sides) {
    test(`${side}: arbitrary values, strings and bytes`, () => {
      const input = fc.oneof(fc.anything(), fc.string(), fc.uint8Array({ maxLength: 64 }), fc.json());
      fc.assert(
        fc.property(input, fc.boolean(), (value, strict) => {
          const result = parse(value, { strict });
          assert.equal(typeof result.ok, 'boolean');
        }),
        { numRuns: 500 },
      );
    });

    test(`${side}: valid events with one thing wrong; every rejection names a field or the frame`, () => {
      fc.assert(
        fc.property(mutatedEvent(schemas), fc.boolean(), (event, strict) => {
          const result = parse(JSON.stringify(event), { strict });
          if (!result.ok) {
            assert.ok(result.error.message.length > 0);
            assert.equal(result.error.param === null, result.error.path.length === 0);
          }
        }),
        fuzzParameters(500),
      );
    });
  }
});

/** A realtime session config that always carries every field OpenAI added to GA in 2026. */
const session2026 = fc.record({
  type: fc.constant('realtime'),
  reasoning: arbitraryFor(ReasoningSchema),
  parallel_tool_calls: fc.boolean(),
  include: arbitraryFor(IncludeSchema),
  truncation: arbitraryFor(TruncationSchema),
  tools: fc.array(arbitraryFor(McpToolSchema), { minLength: 1, maxLength: 2 }),
  audio: fc.record({
    input: fc.record({ transcription: arbitraryFor(AudioTranscriptionSchema) }),
    output: fc.record({ voice: arbitraryFor(VoiceSchema) }),
  }),
});

/** One 2026 field set wrong, and the parameter the refusal must name. */
const wrong2026 = fc.constantFrom(
  { param: 'session.reasoning.effort', set: (s: Fields) => ({ ...s, reasoning: { effort: 'maximal' } }) },
  { param: 'session.parallel_tool_calls', set: (s: Fields) => ({ ...s, parallel_tool_calls: 1 }) },
  {
    param: 'session.truncation.retention_ratio',
    set: (s: Fields) => ({ ...s, truncation: { type: 'retention_ratio', retention_ratio: 2 } }),
  },
  {
    param: 'session.tools[0].tunnel_id',
    set: (s: Fields) => ({ ...s, tools: [{ type: 'mcp', server_label: 'x', tunnel_id: 'tunnel_' }] }),
  },
  {
    param: 'session.tools[0].allowed_callers',
    set: (s: Fields) => ({ ...s, tools: [{ type: 'mcp', server_label: 'x', allowed_callers: [] }] }),
  },
  { param: 'session.include[0]', set: (s: Fields) => ({ ...s, include: ['item.logprobs'] }) },
);

type Fields = Record<string, unknown>;

describe('session configs with the 2026 GA fields', () => {
  test('parse strictly in session.update and round-trip', () => {
    fc.assert(
      fc.property(session2026, (session) => {
        const json = JSON.stringify({ type: 'session.update', session });
        const result = parseClientEvent(json, { strict: true });
        assert.ok(result.ok && result.known, `${json}: ${!result.ok && result.error.message}`);
        assert.equal(serializeEvent(result.event as never), json);
      }),
      fuzzParameters(200),
    );
  });

  test('echoed by a server in session.updated, they parse strictly too', () => {
    fc.assert(
      fc.property(session2026, (config) => {
        const session = { ...config, id: 'sess_1', object: 'realtime.session' };
        const json = JSON.stringify({ type: 'session.updated', event_id: 'event_1', session });
        const result = parseServerEvent(json, { strict: true });
        assert.ok(result.ok && result.known, `${json}: ${!result.ok && result.error.message}`);
      }),
      fuzzParameters(200),
    );
  });

  test('one of them set wrong is refused, naming that field', () => {
    fc.assert(
      fc.property(session2026, wrong2026, (session, wrong) => {
        const json = JSON.stringify({ type: 'session.update', session: wrong.set(session) });
        const result = parseClientEvent(json, { strict: true });
        assert.equal(result.ok, false, json);
        if (!result.ok) assert.equal(result.error.param, wrong.param, result.error.message);
      }),
      fuzzParameters(200),
    );
  });
});
