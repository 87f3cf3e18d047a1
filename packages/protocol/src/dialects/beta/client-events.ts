/**
 * The client events of the beta protocol (`OpenAI-Beta: realtime=v1`), after openai-node's
 * beta `RealtimeClientEvent` union and its `output_audio_buffer.clear` (WebRTC). Events whose
 * shape is GA's are GA's own schemas; the others carry beta sessions, items or response
 * settings, and `transcription_session.update` is beta's own.
 */
import {
  ConversationItemDeleteEventSchema,
  ConversationItemRetrieveEventSchema,
  ConversationItemTruncateEventSchema,
  InputAudioBufferAppendEventSchema,
  InputAudioBufferClearEventSchema,
  InputAudioBufferCommitEventSchema,
  OutputAudioBufferClearEventSchema,
  ResponseCancelEventSchema,
} from '../../events/client-events.js';
import { type Infer, literal, object, optional, type Shape, string } from '../../schema/schema.js';
import { BetaConversationItemSchema } from './items.js';
import { BetaResponseCreateParamsSchema } from './response.js';
import { BetaSessionConfigSchema } from './session.js';
import { BetaTranscriptionSessionConfigSchema } from './transcription-session.js';

/** As in GA: client event ids are optional and at most 512 characters. */
const clientEventId = optional(string({ maxLength: 512 }));

function betaClientEvent<const T extends string, const S extends Shape>(type: T, shape: S) {
  return object({ event_id: clientEventId, type: literal(type), ...shape });
}

/** Updates a beta realtime session; the server answers with `session.updated`. */
export const BetaSessionUpdateEventSchema = betaClientEvent('session.update', {
  session: BetaSessionConfigSchema,
});

/** Updates a beta transcription session; the server answers `transcription_session.updated`. */
export const BetaTranscriptionSessionUpdateEventSchema = betaClientEvent('transcription_session.update', {
  session: BetaTranscriptionSessionConfigSchema,
});

/** Adds a beta item to the conversation, after `previous_item_id` when given (`root`: first). */
export const BetaConversationItemCreateEventSchema = betaClientEvent('conversation.item.create', {
  previous_item_id: optional(string()),
  item: BetaConversationItemSchema,
});

/** Asks for a response, optionally with beta settings for this response only. */
export const BetaResponseCreateEventSchema = betaClientEvent('response.create', {
  response: optional(BetaResponseCreateParamsSchema),
});

/** Every beta client event's schema, by its type string. */
export const BETA_CLIENT_EVENT_SCHEMAS = {
  'session.update': BetaSessionUpdateEventSchema,
  'transcription_session.update': BetaTranscriptionSessionUpdateEventSchema,
  'input_audio_buffer.append': InputAudioBufferAppendEventSchema,
  'input_audio_buffer.commit': InputAudioBufferCommitEventSchema,
  'input_audio_buffer.clear': InputAudioBufferClearEventSchema,
  'output_audio_buffer.clear': OutputAudioBufferClearEventSchema,
  'conversation.item.create': BetaConversationItemCreateEventSchema,
  'conversation.item.retrieve': ConversationItemRetrieveEventSchema,
  'conversation.item.truncate': ConversationItemTruncateEventSchema,
  'conversation.item.delete': ConversationItemDeleteEventSchema,
  'response.create': BetaResponseCreateEventSchema,
  'response.cancel': ResponseCancelEventSchema,
} as const;

/** Maps each beta client event type string to its event type. */
export type BetaClientEventMap = {
  [K in keyof typeof BETA_CLIENT_EVENT_SCHEMAS]: Infer<(typeof BETA_CLIENT_EVENT_SCHEMAS)[K]>;
};

/** Any beta client event's `type`. */
export type BetaClientEventType = keyof BetaClientEventMap;

/** Any client event of the beta protocol, narrowed by `type`. */
export type BetaClientEvent = BetaClientEventMap[BetaClientEventType];

/** Every beta client event type string. */
export const BETA_CLIENT_EVENT_TYPES = Object.keys(BETA_CLIENT_EVENT_SCHEMAS) as BetaClientEventType[];
