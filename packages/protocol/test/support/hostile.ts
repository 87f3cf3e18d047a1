/**
 * Hostile input for fuzzing whatever reads client frames: valid events with one value replaced
 * by something a careless or malicious client might send (null, the wrong type, a huge or
 * deeply nested value, an unknown enum value), a field removed or one added, and frames that
 * are not events at all. Shared by the protocol's property tests and the engine's and
 * gateway's socket-level fuzzing, so every layer is attacked the same way.
 *
 * Runs are seeded and bounded: `FUZZ_RUNS` and `FUZZ_SEED` in the environment make a longer or
 * different run (`FUZZ_RUNS=5000 npm test`).
 */
import { CLIENT_EVENT_SCHEMAS, type Schema } from '@realtime-gateway/protocol/schema';
import fc from 'fast-check';
import { arbitraryFor } from './arbitrary.js';

/** fast-check parameters for a fuzz run: a fixed seed and a bounded number of runs unless overridden. */
export function fuzzParameters(defaultRuns: number): { numRuns: number; seed: number } {
  const runs = Number(process.env.FUZZ_RUNS);
  const seed = Number(process.env.FUZZ_SEED);
  return {
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
    seed: Number.isInteger(seed) ? seed : 0x5eed,
  };
}

/** `depth` arrays or objects inside each other, around a string. */
function nested(depth: number, asObject: boolean): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = asObject ? { a: value } : [value];
  return value;
}

/** Values that do not belong where they are put: each kind of trouble a field can be given. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(0, -1, -0.5, 2 ** 53 + 1, -(2 ** 63), 1e308, -1e308, 1.5),
  fc.string({ maxLength: 16 }),
  fc.constantFrom('not_a_real_value', '', '\u0000', '\ud800', 'audio/pcm', 'realtime', 'none', 'auto'),
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => 'x'.repeat(n)),
  fc
    .tuple(fc.integer({ min: 20, max: 2_000 }), fc.boolean())
    .map(([depth, asObject]) => nested(depth, asObject)),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 }),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => Array.from({ length: n }, () => 0)),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** Every object or array inside a value, the value itself first. */
function containers(value: unknown): (Record<string, unknown> | unknown[])[] {
  const found: (Record<string, unknown> | unknown[])[] = [];
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    found.push(node as Record<string, unknown> | unknown[]);
    for (const child of Object.values(node)) walk(child);
  };
  walk(value);
  return found;
}

type Mutation =
  | { readonly kind: 'replace'; readonly value: unknown }
  | { readonly kind: 'remove' }
  | { readonly kind: 'add'; readonly key: string; readonly value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: hostileValue.map((value) => ({ kind: 'replace' as const, value })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'remove' as const }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ minLength: 1, maxLength: 8 }), hostileValue)
      .map(([key, value]) => ({ kind: 'add' as const, key, value })),
  },
);

/** A copy of `generated` with `change` applied to a field (`field`) of one of its containers (`where`). */
function mutate(generated: unknown, where: number, field: number, change: Mutation): unknown {
  // fast-check may hand the same generated value out again (shrinking): never change it in place.
  const event = structuredClone(generated);
  const all = containers(event);
  const holder = all[where % all.length];
  if (holder === undefined) return event;
  if (change.kind === 'add') {
    if (!Array.isArray(holder)) holder[change.key] = change.value;
    return event;
  }
  const keys = Object.keys(holder);
  if (keys.length === 0) return event;
  const key = keys[field % keys.length]!;
  if (change.kind === 'remove') delete (holder as Record<string, unknown>)[key];
  else (holder as Record<string, unknown>)[key] = change.value;
  return event;
}

/** Any valid event of the given schemas. */
export function validEvent(schemas: Readonly<Record<string, Schema<unknown>>>): fc.Arbitrary<unknown> {
  return fc.oneof(...Object.values(schemas).map((schema) => arbitraryFor(schema)));
}

/**
 * A valid event with one thing wrong somewhere inside it: a value replaced by a hostile one, a
 * field removed, or a field added.
 *
 * @example
 * fc.assert(fc.property(mutatedEvent(CLIENT_EVENT_SCHEMAS), (event) => parse(event)), fuzzParameters(500));
 */
export function mutatedEvent(schemas: Readonly<Record<string, Schema<unknown>>>): fc.Arbitrary<unknown> {
  return fc
    .tuple(validEvent(schemas), fc.nat(), fc.nat(), mutation)
    .map(([event, where, field, change]) => mutate(event, where, field, change));
}

const encoder = new TextEncoder();

/**
 * One frame a hostile client might send: mostly mutated client events (as text), sometimes
 * valid ones, truncated JSON, bare JSON values, arbitrary text, or bytes that are not UTF-8.
 */
export const hostileClientFrame: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 12, arbitrary: mutatedEvent(CLIENT_EVENT_SCHEMAS).map((event) => JSON.stringify(event)) },
  { weight: 3, arbitrary: validEvent(CLIENT_EVENT_SCHEMAS).map((event) => JSON.stringify(event)) },
  {
    weight: 1,
    arbitrary: fc.tuple(validEvent(CLIENT_EVENT_SCHEMAS), fc.nat()).map(([event, cut]) => {
      const json = JSON.stringify(event);
      return json.slice(0, cut % json.length);
    }),
  },
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 64 }) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 64 })
      .map((bytes) => Uint8Array.from([0xff, ...bytes])),
  },
  {
    weight: 1,
    arbitrary: validEvent(CLIENT_EVENT_SCHEMAS).map((event) => encoder.encode(JSON.stringify(event))),
  },
);

/**
 * Every client event of `events` with each of its values, one at a time, set to `null`: the
 * sweep that found `"audio": null` taking a server down.
 */
export function nullSweep(events: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const event of events) {
    const count = containers(event).reduce((n, holder) => n + Object.keys(holder).length, 0);
    for (let index = 0; index < count; index++) {
      const copy = structuredClone(event);
      let seen = 0;
      for (const holder of containers(copy)) {
        const keys = Object.keys(holder);
        if (index < seen + keys.length) {
          (holder as Record<string, unknown>)[keys[index - seen]!] = null;
          break;
        }
        seen += keys.length;
      }
      out.push(copy);
    }
  }
  return out;
}
