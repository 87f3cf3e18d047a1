/**
 * A schema written with this module's combinators, as a JSON Schema (draft-07), so that tools
 * that know nothing of the combinators (editors, other languages' validators) check the same
 * shapes. What it describes is the strict check: unknown fields are refused
 * (`additionalProperties: false`), optional fields may be absent but not `null`, and legacy
 * enum spellings are not offered.
 */
import type { Schema } from './schema.js';

/** A JSON Schema document or subschema. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** Options for {@link toJsonSchema}. */
export interface JsonSchemaOptions {
  /** `title` of the document. */
  readonly title?: string;
  /** `$id` of the document. */
  readonly id?: string;
}

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/**
 * The JSON Schema of `schema`, as its strict check sees values.
 *
 * @example
 * const document = toJsonSchema(object({ name: string(), port: optional(integer({ min: 0 })) }));
 * // { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object',
 * //   properties: { name: { type: 'string' }, port: { type: 'integer', minimum: 0 } },
 * //   required: ['name'], additionalProperties: false }
 */
export function toJsonSchema(schema: Schema<unknown>, options: JsonSchemaOptions = {}): JsonSchema {
  return {
    $schema: DRAFT_07,
    ...(options.id === undefined ? {} : { $id: options.id }),
    ...(options.title === undefined ? {} : { title: options.title }),
    ...convert(schema),
  };
}

function convert(schema: Schema<unknown>): JsonSchema {
  const node = schema.node;
  switch (node.kind) {
    case 'string':
      return {
        type: 'string',
        ...(node.maxLength === undefined ? {} : { maxLength: node.maxLength }),
        ...(node.pattern === undefined ? {} : { pattern: node.pattern }),
      };
    case 'literal':
      return { const: node.value };
    case 'enum':
      return { type: 'string', enum: [...node.values] };
    case 'integer':
    case 'number':
      return {
        type: node.kind,
        ...(node.min === undefined ? {} : { minimum: node.min }),
        ...(node.max === undefined ? {} : { maximum: node.max }),
      };
    case 'boolean':
      return { type: 'boolean' };
    case 'anyObject':
      return { type: 'object' };
    case 'nullable':
      return { anyOf: [convert(node.inner), { type: 'null' }] };
    case 'array':
      return {
        type: 'array',
        items: convert(node.item),
        ...(node.minItems === undefined ? {} : { minItems: node.minItems }),
      };
    case 'record':
      return { type: 'object', additionalProperties: convert(node.value) };
    case 'object': {
      const required = node.fields.filter((field) => field.required).map((field) => field.key);
      return {
        type: 'object',
        properties: Object.fromEntries(node.fields.map((field) => [field.key, convert(field.schema)])),
        ...(required.length === 0 ? {} : { required }),
        additionalProperties: false,
      };
    }
    case 'taggedUnion':
      return { type: 'object', anyOf: Object.values(node.variants).map(convert) };
    case 'anyOf':
      return { anyOf: node.options.map(convert) };
  }
}
