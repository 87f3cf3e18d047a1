import type { Schema } from '@realtime-gateway/protocol/schema';
import fc from 'fast-check';

/** Options for {@link arbitraryFor}. */
export interface ArbitraryOptions {
  /** Add fields the schema does not know to objects, as newer servers do. */
  readonly extraFields?: boolean;
  /** Use legacy enum names too (only valid when not strict). */
  readonly legacy?: boolean;
}

const extraKey = fc.string({ minLength: 1, maxLength: 8 }).map((key) => `x_${key}`);
const smallJson = fc.jsonValue({ maxDepth: 2 });

/**
 * Values a schema accepts, derived from the schema's own structure, so a property over every
 * event type follows the model without a hand-written generator per event.
 *
 * @example
 * fc.assert(fc.property(arbitraryFor(CLIENT_EVENT_SCHEMAS['session.update']), (event) => ...));
 */
export function arbitraryFor(schema: Schema<unknown>, options: ArbitraryOptions = {}): fc.Arbitrary<unknown> {
  const node = schema.node;
  switch (node.kind) {
    case 'string':
      if (node.pattern !== undefined) return fc.stringMatching(new RegExp(node.pattern));
      return fc.string({ maxLength: Math.min(node.maxLength ?? 24, 24) });
    case 'literal':
      return fc.constant(node.value);
    case 'enum':
      return fc.constantFrom(...node.values, ...(options.legacy ? node.legacy : []));
    case 'integer':
      return fc.integer({ min: node.min ?? -1_000_000, max: node.max ?? 1_000_000 });
    case 'number':
      return fc.double({ min: node.min ?? -1e6, max: node.max ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'anyObject':
      return fc.dictionary(fc.string({ maxLength: 6 }), smallJson, { maxKeys: 3 });
    case 'nullable':
      return fc.option(arbitraryFor(node.inner, options), { nil: null });
    case 'array':
      return fc.array(arbitraryFor(node.item, options), { minLength: node.minItems ?? 0, maxLength: 3 });
    case 'record':
      return fc.dictionary(fc.string({ maxLength: 6 }), arbitraryFor(node.value, options), { maxKeys: 3 });
    case 'object': {
      const known = new Set(node.fields.map((field) => field.key));
      const shape: Record<string, fc.Arbitrary<unknown>> = {};
      for (const field of node.fields) shape[field.key] = arbitraryFor(field.schema, options);
      const required = node.fields.filter((field) => field.required).map((field) => field.key);
      const base = fc.record(shape, { requiredKeys: required });
      if (!options.extraFields) return base;
      const extras = fc.dictionary(
        extraKey.filter((key) => !known.has(key)),
        smallJson,
        { maxKeys: 2 },
      );
      return fc.tuple(base, extras).map(([value, extra]) => ({ ...value, ...extra }));
    }
    case 'taggedUnion':
      return fc.oneof(...Object.values(node.variants).map((variant) => arbitraryFor(variant, options)));
    case 'anyOf':
      return fc.oneof(...node.options.map((option) => arbitraryFor(option, options)));
  }
}
