/**
 * The OpenAI Realtime API (GA) wire model: the types of every event and of what events carry,
 * parsers that validate untrusted frames, a peek at a frame's type and id without parsing it,
 * builders for every event (`client` and `server`), the `error` event for a rejected frame, id
 * generators, and rendering for logs; and the beta dialect (`OpenAI-Beta: realtime=v1`): its
 * events, sessions, items and responses, parsers for its frames, and pure translation of
 * every event to and from GA, with a fast path that renames an audio frame's type without
 * parsing it; and translation sessions (`gpt-realtime-translate`, `/v1/realtime/translations`):
 * their events, session, client secrets, parsers and builders (`translationClient`,
 * `translationServer`). No dependencies and no Node-only APIs.
 *
 * The schemas the parsers check with, and the combinators they are written in, are a separate
 * entry point, `@realtime-gateway/protocol/schema`, for validating parts of the model (a session
 * config on its own) or shapes of one's own in the same words.
 *
 * @example
 * import { client, parseServerEvent } from '@realtime-gateway/protocol';
 * import { checkValue, SessionConfigSchema } from '@realtime-gateway/protocol/schema';
 *
 * ws.send(JSON.stringify(client.responseCreate()));
 * const result = parseServerEvent(frame);
 * if (result.ok && result.known && result.event.type === 'response.done') {
 *   console.log(result.event.response.usage?.total_tokens);
 * }
 * const issue = checkValue(SessionConfigSchema, body.session, true); // undefined when valid
 */

// Builders.
export * as client from './build/client.js';
export * as server from './build/server.js';
// The beta dialect (`OpenAI-Beta: realtime=v1`): events, sessions, items and responses, and
// their translation to and from GA.
export {
  BETA_CLIENT_EVENT_TYPES,
  type BetaClientEvent,
  type BetaClientEventMap,
  type BetaClientEventType,
} from './dialects/beta/client-events.js';
export {
  betaSessionRequestToGa,
  betaTranscriptionSessionRequestToGa,
  type ClientSecretRequest,
  type ClientSecretResponse,
  gaClientSecretToBetaSession,
  gaClientSecretToBetaTranscriptionSession,
} from './dialects/beta/client-secrets.js';
export { betaClientEventToGa, gaClientEventToBeta } from './dialects/beta/client-translate.js';
export {
  type DialectDirection,
  type EventRoute,
  type EventSide,
  eventRoute,
} from './dialects/beta/event-routes.js';
export type { EventTranslation } from './dialects/beta/events-translate-shared.js';
export {
  BETA_AUDIO_FORMATS,
  type BetaAudioFormat,
  betaAudioFormatToGa,
  gaAudioFormatToBeta,
} from './dialects/beta/formats.js';
export {
  type RetypedFrame,
  renameFrameType,
  retypeFrame,
  retypeFrameInPlace,
} from './dialects/beta/frames.js';
export { type ItemLifecycle, newItemLifecycle } from './dialects/beta/item-lifecycle.js';
export type {
  BetaAssistantContent,
  BetaConversationItem,
  BetaMessageItem,
  BetaResponseInputItem,
  BetaUserContent,
} from './dialects/beta/items.js';
export { betaItemToGa, gaItemToBeta } from './dialects/beta/items-translate.js';
export {
  isBetaClientEventType,
  isBetaServerEventType,
  parseBetaClientEvent,
  parseBetaServerEvent,
} from './dialects/beta/parse.js';
export type { BetaResponse, BetaResponseCreateParams } from './dialects/beta/response.js';
export {
  betaResponseParamsToGa,
  betaResponseToGa,
  gaResponseParamsToBeta,
  gaResponseToBeta,
} from './dialects/beta/response-translate.js';
export {
  BETA_SERVER_EVENT_TYPES,
  type BetaResponseContentPart,
  type BetaServerEvent,
  type BetaServerEventMap,
  type BetaServerEventType,
} from './dialects/beta/server-events.js';
export { gaServerEventToBeta } from './dialects/beta/server-to-beta.js';
export { betaServerEventToGa } from './dialects/beta/server-to-ga.js';
export type {
  BetaSession,
  BetaSessionConfig,
  BetaSessionCreateResponse,
  BetaToolChoice,
} from './dialects/beta/session.js';
export {
  betaSessionObjectToGa,
  betaTranscriptionSessionObjectToGa,
} from './dialects/beta/session-objects.js';
export { betaSessionToGa, gaSessionToBeta } from './dialects/beta/session-translate.js';
export type { BetaClientSecret, BetaClientSecretConfig, BetaTurnDetection } from './dialects/beta/shared.js';
export type {
  BetaTranscriptionSession,
  BetaTranscriptionSessionConfig,
  BetaTranscriptionSessionCreateResponse,
} from './dialects/beta/transcription-session.js';
export {
  betaTranscriptionSessionToGa,
  gaTranscriptionSessionToBeta,
} from './dialects/beta/transcription-translate.js';
export type { Translation, UnsupportedField } from './dialects/beta/unsupported.js';
// Rejections: why a frame or value was refused, and the `error` event that says so.
export {
  errorEvent,
  formatPath,
  type ProtocolError,
  protocolError,
  type ToErrorEventOptions,
  toErrorEvent,
  type WireError,
} from './errors.js';
// Client events.
export {
  CLIENT_EVENT_TYPES,
  type ClientEvent,
  type ClientEventMap,
  ClientEventType,
  type ConversationItemCreateEvent,
  type ConversationItemDeleteEvent,
  type ConversationItemRetrieveEvent,
  type ConversationItemTruncateEvent,
  type InputAudioBufferAppendEvent,
  type InputAudioBufferClearEvent,
  type InputAudioBufferCommitEvent,
  MAX_CLIENT_EVENT_ID_LENGTH,
  type OutputAudioBufferClearEvent,
  type ResponseCancelEvent,
  type ResponseCreateEvent,
  type SessionUpdateEvent,
  type TranscriptionSessionUpdateEvent,
} from './events/client-events.js';
// Server events.
export {
  type ConversationItemAddedEvent,
  type ConversationItemDoneEvent,
  type ErrorDetails,
  type ErrorEvent,
  type InputAudioBufferDtmfEventReceivedEvent,
  type ResponseContentPart,
  type ResponseCreatedEvent,
  type ResponseDoneEvent,
  type ResponseFunctionCallArgumentsDoneEvent,
  type ResponseOutputAudioDeltaEvent,
  SERVER_EVENT_TYPES,
  type ServerEvent,
  type ServerEventMap,
  ServerEventType,
  type SessionCreatedEvent,
  type SessionUpdatedEvent,
  type TranscriptionSessionUpdatedEvent,
} from './events/server-events.js';
// Ids in OpenAI's shapes.
export {
  type IdPrefix,
  newCallId,
  newEventId,
  newId,
  newItemId,
  newResponseId,
  newSessionId,
} from './ids.js';
// Rendering for logs.
export { base64DecodedLength, REDACTED, redactForLog, renderForLog } from './log-safe.js';
// What events carry.
export {
  type AudioFormat,
  type AudioTranscription,
  type AudioTranscriptionState,
  type NoiseReduction,
  PCM_SAMPLE_RATE,
  type SemanticVad,
  type ServerVad,
  TRANSCRIPTION_MODELS,
  type TranscriptionDelay,
  type TurnDetection,
  VOICES,
  type Voice,
  type VoiceName,
} from './model/audio.js';
export type {
  AssistantContent,
  AssistantMessage,
  ConversationItem,
  FunctionCallItem,
  FunctionCallOutputItem,
  ItemReference,
  ItemStatus,
  McpApprovalRequestItem,
  McpApprovalResponseItem,
  McpCallError,
  McpCallItem,
  McpListedTool,
  McpListToolsItem,
  MessageItem,
  ResponseInputItem,
  SystemContent,
  SystemMessage,
  UserContent,
  UserMessage,
} from './model/items.js';
export type {
  LogProb,
  RateLimit,
  Response,
  ResponseCreateParams,
  ResponseStatus,
  ResponseStatusDetails,
  ResponseUsage,
  TranscriptionUsage,
} from './model/response.js';
export {
  type Include,
  type MaxOutputTokens,
  type Metadata,
  type Modality,
  type Prompt,
  type PromptVariable,
  REALTIME_MODELS,
  REASONING_REALTIME_MODELS,
  type RealtimeSession,
  type RealtimeSessionConfig,
  type Reasoning,
  type ReasoningEffort,
  type Session,
  type SessionConfig,
  type Tracing,
  type TranscriptionSession,
  type TranscriptionSessionConfig,
  type TranscriptionTurnDetectionState,
  type Truncation,
} from './model/session.js';
export {
  type FunctionTool,
  MCP_ALLOWED_CALLERS,
  MCP_CONNECTORS,
  MCP_TUNNEL_ID,
  type McpTool,
  type McpToolFilter,
  type Tool,
  type ToolChoice,
} from './model/tools.js';
export type {
  TranscriptionSessionUpdateConfig,
  TranscriptionSessionUpdatedSession,
} from './model/transcription-session-update.js';
// Parsing untrusted frames.
export {
  type FrameInput,
  isClientEventType,
  isServerEventType,
  type ParseOptions,
  type ParseResult,
  parseClientEvent,
  parseServerEvent,
  serializeEvent,
  type UnknownEvent,
} from './parse.js';
// Peeking at a frame's type and id without parsing it.
export {
  type EventTypeSpan,
  type PeekedEvent,
  peekEvent,
  peekEventType,
  peekEventTypeSpan,
  type RawFrame,
} from './peek.js';
// The vocabulary of a failed check, which a ProtocolError carries.
export type { Issue, IssueCode } from './schema/schema.js';
// Transcription sessions in the flat shape of `transcription_session.update` / `.updated`.
export {
  transcriptionSessionToUpdated,
  transcriptionSessionUpdateToConfig,
} from './transcription-session.js';
// Translation sessions (`/v1/realtime/translations`): their own session and events, parsed and
// built like GA's. A separate vocabulary, not GA events: `session.update` means another thing.
export * as translationClient from './translation/build-client.js';
export * as translationServer from './translation/build-server.js';
export {
  TRANSLATION_APPEND_TYPE,
  TRANSLATION_AUDIO,
  TRANSLATION_CLIENT_EVENT_TYPES,
  TRANSLATION_SERVER_EVENT_TYPES,
  type TranslationClientEvent,
  type TranslationClientEventMap,
  type TranslationClientEventType,
  type TranslationServerEvent,
  type TranslationServerEventMap,
  type TranslationServerEventType,
} from './translation/events.js';
export {
  isTranslationClientEventType,
  isTranslationServerEventType,
  parseTranslationClientEvent,
  parseTranslationServerEvent,
} from './translation/parse.js';
export {
  CLIENT_SECRET_TTL_SECONDS,
  TRANSLATION_MODEL,
  TRANSLATION_SESSION_TYPE,
  type TranslationAudio,
  type TranslationAudioInput,
  type TranslationAudioOutput,
  type TranslationClientSecretRequest,
  type TranslationClientSecretResponse,
  type TranslationNoiseReduction,
  type TranslationSession,
  type TranslationSessionCreateRequest,
  type TranslationSessionUpdateRequest,
  type TranslationTranscription,
} from './translation/session.js';
