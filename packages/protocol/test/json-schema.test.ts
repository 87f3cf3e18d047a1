/**
 * `toJsonSchema`: a JSON Schema validator (ajv) accepts and refuses what the strict check does,
 * for every kind of schema node.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  anyObject,
  anyOf,
  array,
  boolean,
  checkValue,
  enumOf,
  integer,
  literal,
  nullable,
  number,
  object,
  optional,
  record,
  string,
  taggedUnion,
  toJsonSchema,
} from '@realtime-gateway/protocol/schema';
import { Ajv } from 'ajv';

const Everything = object({
  name: string({ maxLength: 5 }),
  kind: optional(enumOf(['a', 'b'], { legacy: ['old'] })),
  count: optional(integer({ min: 1, max: 3 })),
  ratio: optional(number({ min: 0 })),
  on: optional(boolean()),
  free: optional(anyObject()),
  maybe: optional(nullable(string())),
  list: optional(array(literal(7), { minItems: 1 })),
  map: optional(record(integer())),
  shape: optional(
    taggedUnion('type', {
      circle: object({ type: literal('circle'), r: number() }),
      square: object({ type: literal('square'), side: number() }),
    }),
  ),
  either: optional(anyOf(string(), integer())),
});

const VALUES: readonly unknown[] = [
  { name: 'ok' },
  { name: 'toolong' },
  {},
  { name: 'ok', extra: 1 },
  { name: 'ok', kind: 'a' },
  { name: 'ok', kind: 'old' },
  { name: 'ok', kind: 'c' },
  { name: 'ok', kind: null },
  { name: 'ok', count: 2 },
  { name: 'ok', count: 2.5 },
  { name: 'ok', count: 0 },
  { name: 'ok', count: 4 },
  { name: 'ok', ratio: 0.5 },
  { name: 'ok', ratio: -1 },
  { name: 'ok', on: 'yes' },
  { name: 'ok', free: { anything: [1] } },
  { name: 'ok', free: [] },
  { name: 'ok', maybe: null },
  { name: 'ok', maybe: 1 },
  { name: 'ok', list: [7, 7] },
  { name: 'ok', list: [] },
  { name: 'ok', list: [8] },
  { name: 'ok', map: { a: 1, b: 2 } },
  { name: 'ok', map: { a: 'x' } },
  { name: 'ok', shape: { type: 'circle', r: 1 } },
  { name: 'ok', shape: { type: 'circle', side: 1 } },
  { name: 'ok', shape: { type: 'triangle' } },
  { name: 'ok', either: 'x' },
  { name: 'ok', either: 3 },
  { name: 'ok', either: true },
  'not an object',
];

describe('toJsonSchema', () => {
  test('ajv accepts exactly what the strict check accepts', () => {
    const validate = new Ajv({ strict: true }).compile(toJsonSchema(Everything));
    let refused = 0;
    for (const value of VALUES) {
      const passes = checkValue(Everything, value, true) === undefined;
      if (!passes) refused++;
      assert.equal(validate(value), passes, JSON.stringify(value));
    }
    // The values exercise both answers, not one.
    assert.ok(refused > 10 && refused < VALUES.length - 5);
  });

  test('a document with its draft, title and id; objects closed, optional fields not required', () => {
    const document = toJsonSchema(object({ a: string(), b: optional(integer({ min: 0 })) }), {
      title: 'T',
      id: 'https://example.com/t.json',
    });
    assert.deepEqual(document, {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: 'https://example.com/t.json',
      title: 'T',
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'integer', minimum: 0 } },
      required: ['a'],
      additionalProperties: false,
    });
  });
});
