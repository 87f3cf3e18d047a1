/**
 * Validation against the GA spec's own JSON Schemas (extracted from OpenAI's OpenAPI document),
 * with Ajv. Used by tests to hold builders and the
 * engine to the spec rather than to this package's reading of it.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * A copy of `shared/spec/openai-realtime.schema.json` (MIT, extracted from openai/openai-openapi;
 * its `$comment` names the commit), kept in the repository so that the tests run the same on any
 * machine. Refresh it from the shared spec when that changes.
 */
const SPEC_URL = new URL('../spec/openai-realtime.schema.json', import.meta.url);

interface SchemaNode {
  readonly $ref?: string;
  readonly anyOf?: SchemaNode[];
  readonly properties?: Record<string, SchemaNode>;
  readonly enum?: unknown[];
  readonly const?: unknown;
}

/**
 * The OpenAPI document uses `oneOf` for alternatives that overlap (a free string, or one of the
 * enum values `auto` and `none`), which JSON Schema's `oneOf` rejects for matching both; the
 * author's intent is `anyOf`, so that is what validation uses.
 */
function oneOfAsAnyOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(oneOfAsAnyOf);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key === 'oneOf' ? 'anyOf' : key, oneOfAsAnyOf(value)]),
  );
}

const spec = oneOfAsAnyOf(JSON.parse(readFileSync(SPEC_URL, 'utf8'))) as {
  components: { schemas: Record<string, SchemaNode> };
};
// `format` values such as uri and double are annotations here, not checks.
const ajv = new Ajv({ strict: false, allErrors: true, discriminator: false, validateFormats: false });
ajv.addSchema(spec, 'spec');

const compiled = new Map<string, ValidateFunction>();

function validatorFor(name: string): ValidateFunction {
  let validate = compiled.get(name);
  if (validate === undefined) {
    validate = ajv.compile({ $ref: `spec#/components/schemas/${name}` });
    compiled.set(name, validate);
  }
  return validate;
}

/** The schema name of each event type in a union (`RealtimeServerEvent`, `RealtimeClientEvent`). */
function eventSchemas(union: string): Map<string, string> {
  const byType = new Map<string, string>();
  for (const branch of spec.components.schemas[union]?.anyOf ?? []) {
    const name = branch.$ref?.split('/').at(-1);
    if (name === undefined) continue;
    const typeNode = spec.components.schemas[name]?.properties?.type;
    const type = typeNode?.const ?? typeNode?.enum?.[0];
    if (typeof type === 'string') byType.set(type, name);
  }
  return byType;
}

export const SERVER_EVENT_SCHEMA_NAMES = eventSchemas('RealtimeServerEvent');
export const CLIENT_EVENT_SCHEMA_NAMES = eventSchemas('RealtimeClientEvent');

/** Ajv's errors for `value` against the named schema, as readable lines; empty when valid. */
export function validateAgainstSpec(schemaName: string, value: unknown): string[] {
  const validate = validatorFor(schemaName);
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}

/** Validates an event against the spec's schema for its type. */
export function validateEventAgainstSpec(side: 'client' | 'server', event: { type: string }): string[] {
  const name = (side === 'client' ? CLIENT_EVENT_SCHEMA_NAMES : SERVER_EVENT_SCHEMA_NAMES).get(event.type);
  if (name === undefined) return [`no spec schema for ${side} event type '${event.type}'`];
  return validateAgainstSpec(name, event);
}
