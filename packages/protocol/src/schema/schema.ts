/**
 * A small schema language for the Realtime wire model.
 *
 * Schemas check a parsed JSON value in place: nothing is copied or rewritten, so the
 * value that passed is the value a proxy forwards, unknown fields included. A check never
 * throws; the first problem is recorded on the context as an {@link Issue} with the JSON
 * path that led to it. TypeScript types are inferred from the same definitions
 * ({@link Infer}), so the types and the checks cannot drift apart.
 *
 * General-purpose validators copy their input into a new object and report errors in their
 * own shapes; a frame relay wants neither, which is why this module exists.
 */

/** Bit flags for the JSON kinds a schema can accept; unions use them to pick a branch. */
export const Kind = {
  string: 1,
  number: 2,
  boolean: 4,
  null: 8,
  array: 16,
  object: 32,
  any: 63,
} as const;

/** The codes a failed check reports; the same vocabulary OpenAI's API uses for bad requests. */
export type IssueCode =
  | 'invalid_json'
  | 'invalid_event'
  | 'invalid_type'
  | 'invalid_value'
  | 'missing_required_parameter'
  | 'unknown_parameter'
  | 'integer_below_min_value'
  | 'integer_above_max_value'
  | 'decimal_below_min_value'
  | 'decimal_above_max_value'
  | 'string_above_max_length'
  | 'array_below_min_length';

/** The first problem a check found. */
export interface Issue {
  readonly code: IssueCode;
  /** Keys and indexes from the top of the value to the offending field. */
  readonly path: readonly (string | number)[];
  /** What the schema expected, in words: `a string`, `'audio/pcm' or 'audio/pcmu'`. */
  readonly expected: string;
  /** What was there, in words: `an integer (-1)`, `nothing`. */
  readonly found: string;
}

/** Mutable state threaded through one check. */
export interface CheckContext {
  /** Strict checks reject unknown fields, explicit nulls the spec does not allow and legacy names. */
  readonly strict: boolean;
  /**
   * Reject explicit nulls the spec does not allow, as a server does, while keeping the rest
   * lenient. Always true when `strict` is.
   */
  readonly rejectNulls: boolean;
  /** The path to the value being checked; pushed and popped as the check descends. */
  readonly path: (string | number)[];
  issue: Issue | undefined;
}

/**
 * The structure of a schema, for tools that walk it (test-data generators, documentation).
 * Checking never reads it.
 */
export type SchemaNode =
  | {
      readonly kind: 'string';
      readonly maxLength?: number | undefined;
      /** The source of a regular expression the whole string must match. */
      readonly pattern?: string | undefined;
    }
  | { readonly kind: 'literal'; readonly value: string | number }
  | { readonly kind: 'enum'; readonly values: readonly string[]; readonly legacy: readonly string[] }
  | {
      readonly kind: 'integer' | 'number';
      readonly min?: number | undefined;
      readonly max?: number | undefined;
    }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'anyObject' }
  | { readonly kind: 'nullable'; readonly inner: Schema<unknown> }
  | { readonly kind: 'array'; readonly item: Schema<unknown>; readonly minItems?: number | undefined }
  | { readonly kind: 'record'; readonly value: Schema<unknown> }
  | {
      readonly kind: 'object';
      readonly fields: readonly {
        readonly key: string;
        readonly schema: Schema<unknown>;
        readonly required: boolean;
      }[];
    }
  | {
      readonly kind: 'taggedUnion';
      readonly tag: string;
      readonly variants: Readonly<Record<string, Schema<unknown>>>;
      readonly legacy: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'anyOf'; readonly options: readonly Schema<unknown>[] };

/** A check for one JSON shape. `T` is the TypeScript type of values it accepts. */
export interface Schema<T> {
  /** The structure of this schema. */
  readonly node: SchemaNode;
  /** The JSON kinds this schema may accept, as {@link Kind} flags. */
  readonly kinds: number;
  /** What the schema expects, in words, for error messages. */
  readonly expected: string;
  /** Checks `value`; on failure records an issue on `ctx` and returns false. */
  check(value: unknown, ctx: CheckContext): boolean;
  /** Phantom member carrying `T`; never set at run time. */
  readonly __type?: T;
}

/** The TypeScript type a schema accepts. */
export type Infer<S> = S extends Schema<infer T> ? T : S extends OptionalField<infer T> ? T : never;

/** Starts a check of `value` against `schema`; returns the issue, or undefined when it passes. */
export function checkValue(
  schema: Schema<unknown>,
  value: unknown,
  strict: boolean,
  rejectNulls = strict,
): Issue | undefined {
  const ctx: CheckContext = { strict, rejectNulls: strict || rejectNulls, path: [], issue: undefined };
  return schema.check(value, ctx) ? undefined : ctx.issue;
}

/** Records an issue at the current path (plus `key`, when given) and returns false. */
export function fail(
  ctx: CheckContext,
  code: IssueCode,
  expected: string,
  found: string,
  key?: string | number,
): false {
  const path = ctx.path.slice();
  if (key !== undefined) path.push(key);
  ctx.issue = { code, path, expected, found };
  return false;
}

/** Describes a value for an error message: its JSON kind and, for scalars, a short preview. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `a string (${quote(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
    case 'number':
      if (!Number.isFinite(value)) return `a non-finite number (${value})`;
      return Number.isInteger(value) ? `an integer (${value})` : `a number (${value})`;
    case 'boolean':
      return `a boolean (${value})`;
    case 'undefined':
      return 'nothing';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/** Quotes a value the way OpenAI's error messages do: `'value'`. */
export function quote(value: unknown): string {
  return `'${String(value)}'`;
}

/** Joins alternatives in words: `'a', 'b' or 'c'`. */
export function alternatives(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? 'nothing';
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function kindFlag(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return Kind.string;
    case 'number':
      return Kind.number;
    case 'boolean':
      return Kind.boolean;
    case 'object':
      if (value === null) return Kind.null;
      return Array.isArray(value) ? Kind.array : Kind.object;
    default:
      return 0;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Scalars

/** Options for {@link string}. */
export interface StringOptions {
  readonly maxLength?: number;
  /**
   * A regular expression the string must match, anchored by the caller (`^…$`) as JSON Schema's
   * `pattern` is; for identifiers whose form the API fixes, such as `tunnel_…`. Without the `g`
   * or `y` flag, which would make `test` remember where it stopped.
   */
  readonly pattern?: RegExp;
}

/** Any string, optionally bounded in length or held to a pattern. */
export function string(options: StringOptions = {}): Schema<string> {
  const { maxLength, pattern } = options;
  return {
    node: { kind: 'string', maxLength, pattern: pattern?.source },
    kinds: Kind.string,
    expected: 'a string',
    check(value, ctx) {
      if (typeof value !== 'string') return fail(ctx, 'invalid_type', 'a string', describe(value));
      if (maxLength !== undefined && value.length > maxLength) {
        return fail(
          ctx,
          'string_above_max_length',
          `a string of at most ${maxLength} characters`,
          `a string of ${value.length} characters`,
        );
      }
      if (pattern !== undefined && !pattern.test(value))
        return fail(ctx, 'invalid_value', `a string matching /${pattern.source}/`, describe(value));
      return true;
    },
  };
}

/** Exactly one value: a string for `type` tags, or a number such as the PCM sample rate. */
export function literal<const V extends string | number>(expectedValue: V): Schema<V> {
  const expected = typeof expectedValue === 'string' ? quote(expectedValue) : String(expectedValue);
  const jsType = typeof expectedValue;
  const noun = jsType === 'string' ? 'a string' : 'a number';
  return {
    node: { kind: 'literal', value: expectedValue },
    kinds: jsType === 'string' ? Kind.string : Kind.number,
    expected,
    check(value, ctx) {
      if (value === expectedValue) return true;
      if (typeof value !== jsType) return fail(ctx, 'invalid_type', noun, describe(value));
      return fail(ctx, 'invalid_value', expected, describe(value));
    },
  };
}

/** Options for {@link enumOf}. */
export interface EnumOptions<L extends readonly string[]> {
  /**
   * Older spellings that real servers still send (for example Beta content-part names);
   * accepted unless the check is strict.
   */
  readonly legacy?: L;
}

/**
 * One of a fixed set of strings. The values are taken as a tuple so that their literal types
 * survive inference inside nested `object({...})` and `optional(...)` calls.
 */
export function enumOf<const V extends readonly string[], const L extends readonly string[] = []>(
  values: V,
  options: EnumOptions<L> = {},
): Schema<V[number] | L[number]> {
  const legacyValues: readonly string[] = options.legacy ?? [];
  const current = new Set<string>(values);
  const legacy = new Set<string>(legacyValues);
  const expected = alternatives(values.map(quote));
  return {
    node: { kind: 'enum', values, legacy: legacyValues },
    kinds: Kind.string,
    expected,
    check(value, ctx) {
      if (typeof value !== 'string') return fail(ctx, 'invalid_type', 'a string', describe(value));
      if (current.has(value) || (!ctx.strict && legacy.has(value))) return true;
      return fail(ctx, 'invalid_value', expected, describe(value));
    },
  };
}

/** Options for {@link integer} and {@link number}. */
export interface RangeOptions {
  readonly min?: number;
  readonly max?: number;
}

function rangeSchema(whole: boolean, options: RangeOptions): Schema<number> {
  const { min, max } = options;
  const noun = whole ? 'an integer' : 'a number';
  const bounds = [min !== undefined ? `>= ${min}` : '', max !== undefined ? `<= ${max}` : '']
    .filter(Boolean)
    .join(' and ');
  const expected = bounds ? `${noun} ${bounds}` : noun;
  const belowCode: IssueCode = whole ? 'integer_below_min_value' : 'decimal_below_min_value';
  const aboveCode: IssueCode = whole ? 'integer_above_max_value' : 'decimal_above_max_value';
  return {
    node: { kind: whole ? 'integer' : 'number', min, max },
    kinds: Kind.number,
    expected,
    check(value, ctx) {
      if (typeof value !== 'number' || !Number.isFinite(value) || (whole && !Number.isInteger(value))) {
        return fail(ctx, 'invalid_type', noun, describe(value));
      }
      if (min !== undefined && value < min) return fail(ctx, belowCode, expected, describe(value));
      if (max !== undefined && value > max) return fail(ctx, aboveCode, expected, describe(value));
      return true;
    },
  };
}

/** A whole number, optionally bounded. */
export function integer(options: RangeOptions = {}): Schema<number> {
  return rangeSchema(true, options);
}

/** A finite number, optionally bounded. */
export function number(options: RangeOptions = {}): Schema<number> {
  return rangeSchema(false, options);
}

const booleanSchema: Schema<boolean> = {
  node: { kind: 'boolean' },
  kinds: Kind.boolean,
  expected: 'a boolean',
  check(value, ctx) {
    return typeof value === 'boolean' || fail(ctx, 'invalid_type', 'a boolean', describe(value));
  },
};

/** `true` or `false`. */
export function boolean(): Schema<boolean> {
  return booleanSchema;
}

/** A JSON object. */
export type JsonObject = { [key: string]: unknown };

const anyObjectSchema: Schema<JsonObject> = {
  node: { kind: 'anyObject' },
  kinds: Kind.object,
  expected: 'an object',
  check(value, ctx) {
    return isPlainObject(value) || fail(ctx, 'invalid_type', 'an object', describe(value));
  },
};

/** Any JSON object, contents unchecked (JSON Schemas for tool parameters, free-form metadata). */
export function anyObject(): Schema<JsonObject> {
  return anyObjectSchema;
}

/** `null` as well as whatever `schema` accepts; for fields the spec declares nullable. */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return {
    node: { kind: 'nullable', inner: schema },
    kinds: schema.kinds | Kind.null,
    expected: `${schema.expected} or null`,
    check(value, ctx) {
      return value === null || schema.check(value, ctx);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Containers

/** Options for {@link array}. */
export interface ArrayOptions {
  readonly minItems?: number;
}

/** An array whose every element matches `item`. */
export function array<T>(item: Schema<T>, options: ArrayOptions = {}): Schema<T[]> {
  const { minItems } = options;
  const expected = `an array of ${item.expected}`;
  return {
    node: { kind: 'array', item, minItems },
    kinds: Kind.array,
    expected,
    check(value, ctx) {
      if (!Array.isArray(value)) return fail(ctx, 'invalid_type', 'an array', describe(value));
      if (minItems !== undefined && value.length < minItems) {
        return fail(
          ctx,
          'array_below_min_length',
          `an array of at least ${minItems} items`,
          `an array of ${value.length} items`,
        );
      }
      const path = ctx.path;
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        if (!item.check(value[i], ctx)) return false;
        path.pop();
      }
      return true;
    },
  };
}

/** An object used as a map: any keys, every value matching `value`. */
export function record<T>(valueSchema: Schema<T>): Schema<Record<string, T>> {
  return {
    node: { kind: 'record', value: valueSchema },
    kinds: Kind.object,
    expected: `an object of ${valueSchema.expected} values`,
    check(value, ctx) {
      if (!isPlainObject(value)) return fail(ctx, 'invalid_type', 'an object', describe(value));
      const path = ctx.path;
      for (const key in value) {
        path.push(key);
        if (!valueSchema.check(value[key], ctx)) return false;
        path.pop();
      }
      return true;
    },
  };
}

/** Marks an object field as optional; see {@link optional}. */
export interface OptionalField<T> {
  readonly optional: Schema<T>;
}

/**
 * An object field that may be absent. Real servers also send `null` for fields they leave
 * unset (for example `"usage": null` on `response.created`), so unless the check is strict (or
 * rejects nulls) an explicit `null` is accepted too; the inferred type says so with `| null`.
 */
export function optional<T>(schema: Schema<T>): OptionalField<T> {
  return { optional: schema };
}

/** The fields of an object schema. */
export type Shape = { readonly [key: string]: Schema<unknown> | OptionalField<unknown> };

type RequiredKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalField<unknown> ? never : K;
}[keyof S];
type OptionalKeys<S extends Shape> = Exclude<keyof S, RequiredKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The TypeScript type of an object schema with shape `S`. */
export type ObjectType<S extends Shape> = Simplify<
  { -readonly [K in RequiredKeys<S>]: Infer<S[K]> } & {
    -readonly [K in OptionalKeys<S>]?: Infer<S[K]> | null;
  }
>;

/** An object schema; its shape is kept so that other schemas can extend it. */
export interface ObjectSchema<S extends Shape> extends Schema<ObjectType<S>> {
  readonly shape: S;
}

/**
 * An object with the given fields. Unknown fields are kept and ignored, or rejected when the
 * check is strict.
 */
export function object<const S extends Shape>(shape: S): ObjectSchema<S> {
  const keys = Object.keys(shape);
  const schemas: Schema<unknown>[] = [];
  const required: boolean[] = [];
  for (const key of keys) {
    const field = shape[key]!;
    const isOptional = 'optional' in field;
    schemas.push(isOptional ? field.optional : field);
    required.push(!isOptional);
  }
  const known = new Set(keys);
  const count = keys.length;
  return {
    shape,
    node: {
      kind: 'object',
      fields: keys.map((key, i) => ({ key, schema: schemas[i]!, required: required[i]! })),
    },
    kinds: Kind.object,
    expected: 'an object',
    check(value, ctx) {
      if (!isPlainObject(value)) return fail(ctx, 'invalid_type', 'an object', describe(value));
      const path = ctx.path;
      for (let i = 0; i < count; i++) {
        const key = keys[i]!;
        const field = value[key];
        if (field === undefined) {
          if (required[i])
            return fail(ctx, 'missing_required_parameter', schemas[i]!.expected, 'nothing', key);
          continue;
        }
        if (field === null && !required[i] && !ctx.rejectNulls) continue;
        path.push(key);
        if (!schemas[i]!.check(field, ctx)) return false;
        path.pop();
      }
      if (ctx.strict) {
        for (const key in value) {
          if (!known.has(key))
            return fail(ctx, 'unknown_parameter', 'no such field', describe(value[key]), key);
        }
      }
      return true;
    },
  };
}

/** Variants of a tagged union, keyed by their tag value. */
export type Variants = { readonly [tag: string]: Schema<object> };

/**
 * A union of object schemas told apart by the string field `tag` (`type`, `role`). The variant
 * is looked up by the tag, so an error points into the variant the value meant to be.
 */
export function taggedUnion<const V extends Variants>(
  tag: string,
  variants: V,
  options: {
    readonly legacy?: Readonly<Record<string, keyof V & string>>;
    /** The variant for a value without the tag, where the spec makes the tag optional. */
    readonly untagged?: keyof V & string;
  } = {},
): Schema<Infer<V[keyof V]>> {
  const lookup = new Map<string, Schema<object>>(Object.entries(variants));
  const untagged = options.untagged === undefined ? undefined : variants[options.untagged];
  const legacy = new Map<string, Schema<object>>(
    Object.entries(options.legacy ?? {}).map(([alias, target]) => [alias, variants[target]!]),
  );
  const expectedTags = alternatives(Object.keys(variants).map(quote));
  return {
    node: { kind: 'taggedUnion', tag, variants, legacy: options.legacy ?? {} },
    kinds: Kind.object,
    expected: 'an object',
    check(value, ctx) {
      if (!isPlainObject(value)) return fail(ctx, 'invalid_type', 'an object', describe(value));
      const tagValue = value[tag];
      if (tagValue === undefined) {
        if (untagged !== undefined) return untagged.check(value, ctx);
        return fail(ctx, 'missing_required_parameter', expectedTags, 'nothing', tag);
      }
      if (typeof tagValue !== 'string') return fail(ctx, 'invalid_type', 'a string', describe(tagValue), tag);
      const variant = lookup.get(tagValue) ?? (ctx.strict ? undefined : legacy.get(tagValue));
      if (variant === undefined) return fail(ctx, 'invalid_value', expectedTags, describe(tagValue), tag);
      return variant.check(value, ctx);
    },
  };
}

/**
 * A value matching any of `options`, tried in order. Only the options that accept the value's
 * JSON kind are tried; when exactly one does, its own error is reported, which points deeper
 * than "matched nothing".
 */
export function anyOf<const O extends readonly Schema<unknown>[]>(...options: O): Schema<Infer<O[number]>> {
  let kinds = 0;
  for (const option of options) kinds |= option.kinds;
  const expected = alternatives(options.map((option) => option.expected));
  return {
    node: { kind: 'anyOf', options },
    kinds,
    expected,
    check(value, ctx) {
      const flag = kindFlag(value);
      let candidate: Schema<unknown> | undefined;
      let candidates = 0;
      for (const option of options) {
        if ((option.kinds & flag) === 0) continue;
        candidates++;
        candidate ??= option;
        // Trial checks record their issue; keep the first candidate's if none passes.
        const before = ctx.issue;
        const depth = ctx.path.length;
        if (option.check(value, ctx)) {
          ctx.issue = before;
          return true;
        }
        ctx.path.length = depth;
      }
      if (candidates === 0) return fail(ctx, 'invalid_type', expected, describe(value));
      // Re-run the first candidate so the recorded issue and path are its own.
      return candidate!.check(value, ctx);
    },
  };
}

/**
 * Extends an object schema with more fields (or replaces some); the result is a new schema.
 */
export function extend<const S extends Shape, const E extends Shape>(
  base: ObjectSchema<S>,
  extra: E,
): ObjectSchema<Omit<S, keyof E> & E> {
  return object({ ...base.shape, ...extra } as Omit<S, keyof E> & E);
}
