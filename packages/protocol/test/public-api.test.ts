/**
 * The package's public surface, imported by name as its users import it. The root holds what
 * applications build with — types, parsers, peeking, builders, errors, ids, log rendering — and
 * none of the schema language; `/schema` holds the combinators and the wire model's schemas.
 * The names are listed in full so that an export added by accident fails here instead of
 * quietly becoming API.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import * as root from '@realtime-gateway/protocol';
import * as schema from '@realtime-gateway/protocol/schema';

const ROOT_EXPORTS = [
  'BETA_AUDIO_FORMATS',
  'BETA_CLIENT_EVENT_TYPES',
  'BETA_SERVER_EVENT_TYPES',
  'betaClientEventToGa',
  'betaItemToGa',
  'betaResponseParamsToGa',
  'betaResponseToGa',
  'betaServerEventToGa',
  'betaSessionObjectToGa',
  'betaTranscriptionSessionObjectToGa',
  'eventRoute',
  'gaClientEventToBeta',
  'gaItemToBeta',
  'gaResponseParamsToBeta',
  'gaResponseToBeta',
  'gaServerEventToBeta',
  'isBetaClientEventType',
  'isBetaServerEventType',
  'newItemLifecycle',
  'parseBetaClientEvent',
  'parseBetaServerEvent',
  'peekEventTypeSpan',
  'renameFrameType',
  'retypeFrame',
  'retypeFrameInPlace',
  'betaAudioFormatToGa',
  'betaSessionRequestToGa',
  'betaSessionToGa',
  'betaTranscriptionSessionRequestToGa',
  'betaTranscriptionSessionToGa',
  'gaAudioFormatToBeta',
  'gaClientSecretToBetaSession',
  'gaClientSecretToBetaTranscriptionSession',
  'gaSessionToBeta',
  'gaTranscriptionSessionToBeta',
  'transcriptionSessionToUpdated',
  'transcriptionSessionUpdateToConfig',
  'CLIENT_EVENT_TYPES',
  'ClientEventType',
  'MCP_ALLOWED_CALLERS',
  'MCP_CONNECTORS',
  'MCP_TUNNEL_ID',
  'PCM_SAMPLE_RATE',
  'REALTIME_MODELS',
  'REASONING_REALTIME_MODELS',
  'REDACTED',
  'SERVER_EVENT_TYPES',
  'ServerEventType',
  'TRANSCRIPTION_MODELS',
  'VOICES',
  'base64DecodedLength',
  'errorEvent',
  'client',
  'formatPath',
  'isClientEventType',
  'isServerEventType',
  'newCallId',
  'newEventId',
  'newId',
  'newItemId',
  'newResponseId',
  'newSessionId',
  'parseClientEvent',
  'parseServerEvent',
  'peekEvent',
  'peekEventType',
  'protocolError',
  'redactForLog',
  'renderForLog',
  'serializeEvent',
  'server',
  'toErrorEvent',
  'CLIENT_SECRET_TTL_SECONDS',
  'MAX_CLIENT_EVENT_ID_LENGTH',
  'TRANSLATION_APPEND_TYPE',
  'TRANSLATION_AUDIO',
  'TRANSLATION_CLIENT_EVENT_TYPES',
  'TRANSLATION_MODEL',
  'TRANSLATION_SERVER_EVENT_TYPES',
  'TRANSLATION_SESSION_TYPE',
  'isTranslationClientEventType',
  'isTranslationServerEventType',
  'parseTranslationClientEvent',
  'parseTranslationServerEvent',
  'translationClient',
  'translationServer',
];

const COMBINATORS = [
  'anyObject',
  'anyOf',
  'array',
  'boolean',
  'checkValue',
  'enumOf',
  'extend',
  'integer',
  'literal',
  'nullable',
  'number',
  'object',
  'optional',
  'record',
  'string',
  'taggedUnion',
  'toJsonSchema',
];

const WIRE_SCHEMAS = [
  'BETA_CLIENT_EVENT_SCHEMAS',
  'BETA_SERVER_EVENT_SCHEMAS',
  'BetaAssistantContentSchema',
  'BetaConversationItemSchema',
  'BetaMessageItemSchema',
  'BetaResponseContentPartSchema',
  'BetaResponseCreateParamsSchema',
  'BetaResponseInputItemSchema',
  'BetaResponseSchema',
  'BetaUserContentSchema',
  'BetaAudioFormatSchema',
  'BetaClientSecretConfigSchema',
  'BetaClientSecretSchema',
  'BetaSessionConfigSchema',
  'BetaSessionCreateResponseSchema',
  'BetaSessionSchema',
  'BetaToolChoiceSchema',
  'BetaTranscriptionSessionConfigSchema',
  'BetaTranscriptionSessionCreateResponseSchema',
  'BetaTranscriptionSessionSchema',
  'BetaTurnDetectionSchema',
  'AssistantContentSchema',
  'AssistantMessageSchema',
  'AudioFormatSchema',
  'AudioTranscriptionSchema',
  'AudioTranscriptionStateSchema',
  'CLIENT_EVENT_SCHEMAS',
  'ConversationItemSchema',
  'ErrorDetailsSchema',
  'FunctionCallItemSchema',
  'FunctionCallOutputItemSchema',
  'FunctionToolSchema',
  'IncludeSchema',
  'ItemReferenceSchema',
  'ItemStatusSchema',
  'LogProbSchema',
  'MaxOutputTokensSchema',
  'McpApprovalRequestItemSchema',
  'McpApprovalResponseItemSchema',
  'McpCallErrorSchema',
  'McpCallItemSchema',
  'McpListToolsItemSchema',
  'McpListedToolSchema',
  'McpToolFilterSchema',
  'McpToolSchema',
  'MessageItemSchema',
  'MetadataSchema',
  'ModalitySchema',
  'NoiseReductionSchema',
  'PromptSchema',
  'PromptVariableSchema',
  'RateLimitSchema',
  'RealtimeSessionConfigSchema',
  'RealtimeSessionSchema',
  'ReasoningEffortSchema',
  'ReasoningSchema',
  'ResponseContentPartSchema',
  'ResponseCreateParamsSchema',
  'ResponseInputItemSchema',
  'ResponseSchema',
  'ResponseStatusDetailsSchema',
  'ResponseStatusSchema',
  'ResponseUsageSchema',
  'SERVER_EVENT_SCHEMAS',
  'SemanticVadSchema',
  'ServerVadSchema',
  'SessionConfigSchema',
  'SessionSchema',
  'SystemContentSchema',
  'SystemMessageSchema',
  'ToolChoiceSchema',
  'ToolSchema',
  'TracingSchema',
  'TranscriptionSessionConfigSchema',
  'TranscriptionDelaySchema',
  'TranscriptionSessionSchema',
  'TranscriptionSessionUpdateConfigSchema',
  'TranscriptionSessionUpdatedSessionSchema',
  'TranscriptionTurnDetectionStateSchema',
  'TranscriptionUsageSchema',
  'TruncationSchema',
  'TurnDetectionSchema',
  'UserContentSchema',
  'UserMessageSchema',
  'VoiceNameSchema',
  'VoiceSchema',
  'TRANSLATION_CLIENT_EVENT_SCHEMAS',
  'TRANSLATION_SERVER_EVENT_SCHEMAS',
  'TranslationAudioInputSchema',
  'TranslationAudioOutputSchema',
  'TranslationAudioSchema',
  'TranslationClientSecretRequestSchema',
  'TranslationClientSecretResponseSchema',
  'TranslationNoiseReductionSchema',
  'TranslationSessionCreateRequestSchema',
  'TranslationSessionSchema',
  'TranslationSessionUpdateRequestSchema',
  'TranslationTranscriptionSchema',
];

const sorted = (names: Iterable<string>): string[] => [...names].sort();

describe('the root entry point', () => {
  test('exports exactly what applications build with', () => {
    assert.deepEqual(sorted(Object.keys(root)), sorted(ROOT_EXPORTS));
  });

  test('exposes none of the schema combinators and no schemas', () => {
    const names = new Set(Object.keys(root));
    for (const name of COMBINATORS) assert.equal(names.has(name), false, `${name} is exported at the root`);
    for (const name of WIRE_SCHEMAS) assert.equal(names.has(name), false, `${name} is exported at the root`);
  });
});

describe('the schema entry point', () => {
  test('exports exactly the combinators and the wire model schemas', () => {
    assert.deepEqual(sorted(Object.keys(schema)), sorted([...COMBINATORS, ...WIRE_SCHEMAS]));
  });

  test('the event schema maps cover the event types the root lists', () => {
    assert.deepEqual(sorted(Object.keys(schema.CLIENT_EVENT_SCHEMAS)), sorted(root.CLIENT_EVENT_TYPES));
    assert.deepEqual(sorted(Object.keys(schema.SERVER_EVENT_SCHEMAS)), sorted(root.SERVER_EVENT_TYPES));
    assert.deepEqual(
      sorted(Object.keys(schema.TRANSLATION_CLIENT_EVENT_SCHEMAS)),
      sorted(root.TRANSLATION_CLIENT_EVENT_TYPES),
    );
    assert.deepEqual(
      sorted(Object.keys(schema.TRANSLATION_SERVER_EVENT_SCHEMAS)),
      sorted(root.TRANSLATION_SERVER_EVENT_TYPES),
    );
  });

  test("a failed check becomes a ProtocolError with the root's protocolError", () => {
    const Limits = schema.object({
      name: schema.string(),
      maxSessions: schema.optional(schema.integer({ min: 1 })),
    });
    assert.equal(schema.checkValue(Limits, { name: 'a', maxSessions: 2 }, true), undefined);
    const issue = schema.checkValue(Limits, { name: 'a', maxSessions: 0 }, true);
    assert.ok(issue);
    const error = root.protocolError(issue, null);
    assert.equal(error.code, 'integer_below_min_value');
    assert.equal(error.param, 'maxSessions');
    assert.equal(root.formatPath(issue.path), 'maxSessions');
  });

  test('checks a part of the wire model on its own', () => {
    const config = { type: 'realtime', output_modalities: ['audio'] };
    assert.equal(schema.checkValue(schema.SessionConfigSchema, config, true), undefined);
    const issue = schema.checkValue(
      schema.SessionConfigSchema,
      { ...config, output_modalities: ['video'] },
      true,
    );
    assert.equal(issue?.code, 'invalid_value');
    assert.deepEqual(issue?.path, ['output_modalities', 0]);
  });
});

describe('package.json exports', () => {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    exports: Record<string, Record<string, string>>;
  };

  test('declares the root and the schema subpath', () => {
    assert.deepEqual(Object.keys(manifest.exports), ['.', './schema']);
  });

  // `types` first for the compiler, `source` for runs under --conditions=source, `default` for
  // everyone else; the built paths must be where `tsc -b` (rootDir src, outDir dist) writes.
  for (const [subpath, conditions] of Object.entries(manifest.exports)) {
    test(`${subpath} resolves to its source and to the build of that source`, () => {
      assert.deepEqual(Object.keys(conditions), ['types', 'source', 'default']);
      const source = conditions.source!;
      assert.match(source, /^\.\/src\/.+\.ts$/);
      assert.ok(existsSync(new URL(`../${source}`, import.meta.url)), `${source} is missing`);
      const built = source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '');
      assert.equal(conditions.types, `${built}.d.ts`);
      assert.equal(conditions.default, `${built}.js`);
    });
  }
});
