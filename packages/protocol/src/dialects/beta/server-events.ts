/**
 * The server events of the beta protocol (`OpenAI-Beta: realtime=v1`), after openai-node's
 * beta `RealtimeServerEvent` union with the WebRTC `output_audio_buffer.*` events. Events
 * whose shape is GA's are GA's own schemas; streamed output has its beta names
 * (`response.text.*`, `response.audio.*`, `response.audio_transcript.*`) on GA's fields; and
 * sessions, items, responses and content parts are the beta shapes.
 *
 * `transcription_session.created` is not in the SDK's union, but beta servers open a
 * transcription connection with it (where a realtime one gets `session.created`), and
 * clients of the beta protocol wait for it.
 */
import {
  ConversationCreatedEventSchema,
  ConversationItemDeletedEventSchema,
  ConversationItemTruncatedEventSchema,
  ErrorEventSchema,
  InputAudioBufferClearedEventSchema,
  InputAudioBufferCommittedEventSchema,
  InputAudioBufferSpeechStartedEventSchema,
  InputAudioBufferSpeechStoppedEventSchema,
  InputAudioTranscriptionCompletedEventSchema,
  InputAudioTranscriptionDeltaEventSchema,
  InputAudioTranscriptionFailedEventSchema,
  OutputAudioBufferClearedEventSchema,
  OutputAudioBufferStartedEventSchema,
  OutputAudioBufferStoppedEventSchema,
  RateLimitsUpdatedEventSchema,
  ResponseFunctionCallArgumentsDeltaEventSchema,
  ResponseFunctionCallArgumentsDoneEventSchema,
  ResponseOutputAudioDeltaEventSchema,
  ResponseOutputAudioDoneEventSchema,
  ResponseOutputAudioTranscriptDeltaEventSchema,
  ResponseOutputAudioTranscriptDoneEventSchema,
  ResponseOutputTextDeltaEventSchema,
  ResponseOutputTextDoneEventSchema,
} from '../../events/server-events.js';
import { TranscriptionUsageSchema } from '../../model/response.js';
import {
  enumOf,
  extend,
  type Infer,
  integer,
  literal,
  nullable,
  type ObjectSchema,
  object,
  optional,
  type Shape,
  string,
} from '../../schema/schema.js';
import { BetaConversationItemSchema } from './items.js';
import { BetaResponseSchema } from './response.js';
import { BetaSessionSchema } from './session.js';
import { BetaTranscriptionSessionSchema } from './transcription-session.js';

function betaServerEvent<const T extends string, const S extends Shape>(type: T, shape: S) {
  return object({ event_id: string(), type: literal(type), ...shape });
}

const index = integer({ min: 0 });
const previousItemId = optional(nullable(string()));

/** A content part streamed in a beta response: `text`, or `audio` with its transcript. */
export const BetaResponseContentPartSchema = object({
  type: optional(enumOf(['text', 'audio'])),
  text: optional(string()),
  audio: optional(string()),
  transcript: optional(string()),
});
export type BetaResponseContentPart = Infer<typeof BetaResponseContentPartSchema>;

const contentPosition = {
  response_id: string(),
  item_id: string(),
  output_index: index,
  content_index: index,
} as const;

export const BetaSessionCreatedEventSchema = betaServerEvent('session.created', {
  session: BetaSessionSchema,
});
export const BetaSessionUpdatedEventSchema = betaServerEvent('session.updated', {
  session: BetaSessionSchema,
});
export const BetaTranscriptionSessionCreatedEventSchema = betaServerEvent('transcription_session.created', {
  session: BetaTranscriptionSessionSchema,
});
export const BetaTranscriptionSessionUpdatedEventSchema = betaServerEvent('transcription_session.updated', {
  session: BetaTranscriptionSessionSchema,
});
/** An item joined the conversation: GA splits this into `conversation.item.added` and `.done`. */
export const BetaConversationItemCreatedEventSchema = betaServerEvent('conversation.item.created', {
  previous_item_id: previousItemId,
  item: BetaConversationItemSchema,
});
export const BetaConversationItemRetrievedEventSchema = betaServerEvent('conversation.item.retrieved', {
  item: BetaConversationItemSchema,
});
/** The SDK's beta transcript has no `usage`; GA requires it. */
export const BetaInputAudioTranscriptionCompletedEventSchema = extend(
  InputAudioTranscriptionCompletedEventSchema,
  { usage: optional(TranscriptionUsageSchema) },
);
export const BetaResponseCreatedEventSchema = betaServerEvent('response.created', {
  response: BetaResponseSchema,
});
export const BetaResponseDoneEventSchema = betaServerEvent('response.done', { response: BetaResponseSchema });
export const BetaResponseOutputItemAddedEventSchema = betaServerEvent('response.output_item.added', {
  response_id: string(),
  output_index: index,
  item: BetaConversationItemSchema,
});
export const BetaResponseOutputItemDoneEventSchema = betaServerEvent('response.output_item.done', {
  response_id: string(),
  output_index: index,
  item: BetaConversationItemSchema,
});
export const BetaResponseContentPartAddedEventSchema = betaServerEvent('response.content_part.added', {
  ...contentPosition,
  part: BetaResponseContentPartSchema,
});
export const BetaResponseContentPartDoneEventSchema = betaServerEvent('response.content_part.done', {
  ...contentPosition,
  part: BetaResponseContentPartSchema,
});

/** GA's streamed-output event under its beta name: the fields are the same. */
function renamed<const S extends Shape, const T extends string>(schema: ObjectSchema<S>, type: T) {
  return extend(schema, { type: literal(type) });
}

export const BetaResponseTextDeltaEventSchema = renamed(
  ResponseOutputTextDeltaEventSchema,
  'response.text.delta',
);
export const BetaResponseTextDoneEventSchema = renamed(
  ResponseOutputTextDoneEventSchema,
  'response.text.done',
);
export const BetaResponseAudioTranscriptDeltaEventSchema = renamed(
  ResponseOutputAudioTranscriptDeltaEventSchema,
  'response.audio_transcript.delta',
);
export const BetaResponseAudioTranscriptDoneEventSchema = renamed(
  ResponseOutputAudioTranscriptDoneEventSchema,
  'response.audio_transcript.done',
);
/** A chunk of base64 audio: most of a beta session's traffic, as in GA. */
export const BetaResponseAudioDeltaEventSchema = renamed(
  ResponseOutputAudioDeltaEventSchema,
  'response.audio.delta',
);
export const BetaResponseAudioDoneEventSchema = renamed(
  ResponseOutputAudioDoneEventSchema,
  'response.audio.done',
);

/** Every beta server event's schema, by its type string. */
export const BETA_SERVER_EVENT_SCHEMAS = {
  error: ErrorEventSchema,
  'session.created': BetaSessionCreatedEventSchema,
  'session.updated': BetaSessionUpdatedEventSchema,
  'transcription_session.created': BetaTranscriptionSessionCreatedEventSchema,
  'transcription_session.updated': BetaTranscriptionSessionUpdatedEventSchema,
  'conversation.created': ConversationCreatedEventSchema,
  'conversation.item.created': BetaConversationItemCreatedEventSchema,
  'conversation.item.retrieved': BetaConversationItemRetrievedEventSchema,
  'conversation.item.truncated': ConversationItemTruncatedEventSchema,
  'conversation.item.deleted': ConversationItemDeletedEventSchema,
  'conversation.item.input_audio_transcription.completed': BetaInputAudioTranscriptionCompletedEventSchema,
  'conversation.item.input_audio_transcription.delta': InputAudioTranscriptionDeltaEventSchema,
  'conversation.item.input_audio_transcription.failed': InputAudioTranscriptionFailedEventSchema,
  'input_audio_buffer.committed': InputAudioBufferCommittedEventSchema,
  'input_audio_buffer.cleared': InputAudioBufferClearedEventSchema,
  'input_audio_buffer.speech_started': InputAudioBufferSpeechStartedEventSchema,
  'input_audio_buffer.speech_stopped': InputAudioBufferSpeechStoppedEventSchema,
  'output_audio_buffer.started': OutputAudioBufferStartedEventSchema,
  'output_audio_buffer.stopped': OutputAudioBufferStoppedEventSchema,
  'output_audio_buffer.cleared': OutputAudioBufferClearedEventSchema,
  'response.created': BetaResponseCreatedEventSchema,
  'response.done': BetaResponseDoneEventSchema,
  'response.output_item.added': BetaResponseOutputItemAddedEventSchema,
  'response.output_item.done': BetaResponseOutputItemDoneEventSchema,
  'response.content_part.added': BetaResponseContentPartAddedEventSchema,
  'response.content_part.done': BetaResponseContentPartDoneEventSchema,
  'response.text.delta': BetaResponseTextDeltaEventSchema,
  'response.text.done': BetaResponseTextDoneEventSchema,
  'response.audio_transcript.delta': BetaResponseAudioTranscriptDeltaEventSchema,
  'response.audio_transcript.done': BetaResponseAudioTranscriptDoneEventSchema,
  'response.audio.delta': BetaResponseAudioDeltaEventSchema,
  'response.audio.done': BetaResponseAudioDoneEventSchema,
  'response.function_call_arguments.delta': ResponseFunctionCallArgumentsDeltaEventSchema,
  'response.function_call_arguments.done': ResponseFunctionCallArgumentsDoneEventSchema,
  'rate_limits.updated': RateLimitsUpdatedEventSchema,
} as const;

/** Maps each beta server event type string to its event type. */
export type BetaServerEventMap = {
  [K in keyof typeof BETA_SERVER_EVENT_SCHEMAS]: Infer<(typeof BETA_SERVER_EVENT_SCHEMAS)[K]>;
};

/** Any beta server event's `type`. */
export type BetaServerEventType = keyof BetaServerEventMap;

/** Any server event of the beta protocol, narrowed by `type`. */
export type BetaServerEvent = BetaServerEventMap[BetaServerEventType];

/** Every beta server event type string. */
export const BETA_SERVER_EVENT_TYPES = Object.keys(BETA_SERVER_EVENT_SCHEMAS) as BetaServerEventType[];
