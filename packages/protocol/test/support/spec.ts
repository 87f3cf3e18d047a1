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

/** The JSON Schema of an event of `type` carrying `session` of the named schema. */
function sessionEvent(type: string, eventId: object, required: string[], session: object): SchemaNode {
  return {
    type: 'object',
    properties: { event_id: eventId, type: { type: 'string', const: type }, session },
    required,
  } as SchemaNode;
}

/**
 * The spec copy lacks `transcription_session.update` and `transcription_session.updated`,
 * though it has the session shapes they carry (openai-node's GA types
 * `TranscriptionSessionUpdate` and `TranscriptionSessionUpdatedEvent` name the same ones). The
 * events are composed here from those shapes, with two gaps bridged, both by the copy's own
 * words: `client_secret` is "not present when a session is updated via the WebSocket API", and
 * turn detection "can be set to `null` to turn off".
 */
function addTranscriptionSessionEvents(schemas: Record<string, SchemaNode>): void {
  const request = schemas.RealtimeTranscriptionSessionCreateRequest as Record<string, unknown>;
  const response = schemas.RealtimeTranscriptionSessionCreateResponse as Record<string, unknown>;
  const nullableTurnDetection = (node: Record<string, unknown>) => {
    const properties = node.properties as Record<string, object>;
    return { ...properties, turn_detection: { anyOf: [properties.turn_detection, { type: 'null' }] } };
  };
  const { required: _secretRequired, ...updated } = response;
  schemas.TranscriptionSessionUpdateComposed = sessionEvent(
    'transcription_session.update',
    { type: 'string', maxLength: 512 },
    ['type', 'session'],
    { ...request, properties: nullableTurnDetection(request) },
  );
  schemas.TranscriptionSessionUpdatedComposed = sessionEvent(
    'transcription_session.updated',
    { type: 'string' },
    ['event_id', 'type', 'session'],
    { ...updated, properties: nullableTurnDetection(response) },
  );
}
addTranscriptionSessionEvents(spec.components.schemas);
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

export const SERVER_EVENT_SCHEMA_NAMES = eventSchemas('RealtimeServerEvent').set(
  'transcription_session.updated',
  'TranscriptionSessionUpdatedComposed',
);
export const CLIENT_EVENT_SCHEMA_NAMES = eventSchemas('RealtimeClientEvent').set(
  'transcription_session.update',
  'TranscriptionSessionUpdateComposed',
);

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
