/**
 * `@realtime-gateway/protocol/schema`: the schemas of the wire model and the combinators they
 * are written in. The parsers of the package root check every event with these; this entry
 * point is for checking a part of the model on its own, or a shape of one's own, and having a
 * bad field reported by its path in the words OpenAI's errors use. Turn the returned
 * {@link Issue} into a `ProtocolError` with the root's `protocolError`.
 *
 * The event schemas are reached through {@link CLIENT_EVENT_SCHEMAS} and
 * {@link SERVER_EVENT_SCHEMAS}, keyed by event type. The `Beta…Schema` ones, with
 * `BETA_CLIENT_EVENT_SCHEMAS` and `BETA_SERVER_EVENT_SCHEMAS`, are the shapes of the beta
 * dialect (`OpenAI-Beta: realtime=v1`), for checking what a beta peer sends. The
 * `Translation…Schema` ones, with `TRANSLATION_CLIENT_EVENT_SCHEMAS` and
 * `TRANSLATION_SERVER_EVENT_SCHEMAS`, are translation sessions' (`/v1/realtime/translations`).
 *
 * @example
 * import { protocolError } from '@realtime-gateway/protocol';
 * import { type Infer, checkValue, integer, object, optional, string } from '@realtime-gateway/protocol/schema';
 *
 * const LimitsSchema = object({ name: string(), maxSessions: optional(integer({ min: 1 })) });
 * type Limits = Infer<typeof LimitsSchema>;
 * const issue = checkValue(LimitsSchema, input, true); // strict: an unknown field is an error
 * if (issue) throw new Error(protocolError(issue, null).message); // "Missing required parameter: 'name'."
 */

export { BETA_CLIENT_EVENT_SCHEMAS } from '../dialects/beta/client-events.js';
export { BetaAudioFormatSchema } from '../dialects/beta/formats.js';
export {
  BetaAssistantContentSchema,
  BetaConversationItemSchema,
  BetaMessageItemSchema,
  BetaResponseInputItemSchema,
  BetaUserContentSchema,
} from '../dialects/beta/items.js';
export { BetaResponseCreateParamsSchema, BetaResponseSchema } from '../dialects/beta/response.js';
export { BETA_SERVER_EVENT_SCHEMAS, BetaResponseContentPartSchema } from '../dialects/beta/server-events.js';
export {
  BetaSessionConfigSchema,
  BetaSessionCreateResponseSchema,
  BetaSessionSchema,
  BetaToolChoiceSchema,
} from '../dialects/beta/session.js';
export {
  BetaClientSecretConfigSchema,
  BetaClientSecretSchema,
  BetaTurnDetectionSchema,
} from '../dialects/beta/shared.js';
export {
  BetaTranscriptionSessionConfigSchema,
  BetaTranscriptionSessionCreateResponseSchema,
  BetaTranscriptionSessionSchema,
} from '../dialects/beta/transcription-session.js';
export { CLIENT_EVENT_SCHEMAS } from '../events/client-events.js';
export {
  ErrorDetailsSchema,
  ResponseContentPartSchema,
  SERVER_EVENT_SCHEMAS,
} from '../events/server-events.js';
export {
  AudioFormatSchema,
  AudioTranscriptionSchema,
  AudioTranscriptionStateSchema,
  NoiseReductionSchema,
  SemanticVadSchema,
  ServerVadSchema,
  TranscriptionDelaySchema,
  TurnDetectionSchema,
  VoiceNameSchema,
  VoiceSchema,
} from '../model/audio.js';
export {
  AssistantContentSchema,
  AssistantMessageSchema,
  ConversationItemSchema,
  FunctionCallItemSchema,
  FunctionCallOutputItemSchema,
  ItemReferenceSchema,
  ItemStatusSchema,
  McpApprovalRequestItemSchema,
  McpApprovalResponseItemSchema,
  McpCallErrorSchema,
  McpCallItemSchema,
  McpListedToolSchema,
  McpListToolsItemSchema,
  MessageItemSchema,
  ResponseInputItemSchema,
  SystemContentSchema,
  SystemMessageSchema,
  UserContentSchema,
  UserMessageSchema,
} from '../model/items.js';
export {
  LogProbSchema,
  RateLimitSchema,
  ResponseCreateParamsSchema,
  ResponseSchema,
  ResponseStatusDetailsSchema,
  ResponseStatusSchema,
  ResponseUsageSchema,
  TranscriptionUsageSchema,
} from '../model/response.js';
export {
  IncludeSchema,
  MaxOutputTokensSchema,
  MetadataSchema,
  ModalitySchema,
  PromptSchema,
  PromptVariableSchema,
  RealtimeSessionConfigSchema,
  RealtimeSessionSchema,
  ReasoningEffortSchema,
  ReasoningSchema,
  SessionConfigSchema,
  SessionSchema,
  TracingSchema,
  TranscriptionSessionConfigSchema,
  TranscriptionSessionSchema,
  TranscriptionTurnDetectionStateSchema,
  TruncationSchema,
} from '../model/session.js';
export {
  FunctionToolSchema,
  McpToolFilterSchema,
  McpToolSchema,
  ToolChoiceSchema,
  ToolSchema,
} from '../model/tools.js';
export {
  TranscriptionSessionUpdateConfigSchema,
  TranscriptionSessionUpdatedSessionSchema,
} from '../model/transcription-session-update.js';
export {
  TRANSLATION_CLIENT_EVENT_SCHEMAS,
  TRANSLATION_SERVER_EVENT_SCHEMAS,
} from '../translation/events.js';
export {
  TranslationAudioInputSchema,
  TranslationAudioOutputSchema,
  TranslationAudioSchema,
  TranslationClientSecretRequestSchema,
  TranslationClientSecretResponseSchema,
  TranslationNoiseReductionSchema,
  TranslationSessionCreateRequestSchema,
  TranslationSessionSchema,
  TranslationSessionUpdateRequestSchema,
  TranslationTranscriptionSchema,
} from '../translation/session.js';
export { type JsonSchema, type JsonSchemaOptions, toJsonSchema } from './json-schema.js';
export {
  type ArrayOptions,
  anyObject,
  anyOf,
  array,
  boolean,
  type CheckContext,
  checkValue,
  type EnumOptions,
  enumOf,
  extend,
  type Infer,
  type Issue,
  type IssueCode,
  integer,
  type JsonObject,
  literal,
  nullable,
  number,
  type ObjectSchema,
  type ObjectType,
  type OptionalField,
  object,
  optional,
  type RangeOptions,
  record,
  type Schema,
  type SchemaNode,
  type Shape,
  type StringOptions,
  string,
  taggedUnion,
  type Variants,
} from './schema.js';
