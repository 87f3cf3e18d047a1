import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ParseResult,
  parseClientEvent,
  parseServerEvent,
  serializeEvent,
} from '@realtime-gateway/protocol';
import { CLIENT_EVENT_SCHEMAS, type Schema, SERVER_EVENT_SCHEMAS } from '@realtime-gateway/protocol/schema';
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
