import { ConversationItemSchema } from '../model/items.js';
import { ResponseCreateParamsSchema } from '../model/response.js';
import { SessionConfigSchema } from '../model/session.js';
import { TranscriptionSessionUpdateConfigSchema } from '../model/transcription-session-update.js';
import { type Infer, integer, literal, object, optional, type Shape, string } from '../schema/schema.js';

/** The longest client `event_id` the API accepts, in characters. */
export const MAX_CLIENT_EVENT_ID_LENGTH = 512;

/** Client event ids are optional. */
const clientEventId = optional(string({ maxLength: MAX_CLIENT_EVENT_ID_LENGTH }));

/** A client event's schema: its `type`, an optional `event_id`, and `shape`. */
export function clientEvent<const T extends string, const S extends Shape>(type: T, shape: S) {
  return object({ event_id: clientEventId, type: literal(type), ...shape });
}

/** Updates the session's settings; the server answers with `session.updated`. */
export const SessionUpdateEventSchema = clientEvent('session.update', { session: SessionConfigSchema });

/** Appends base64 audio to the input buffer. */
export const InputAudioBufferAppendEventSchema = clientEvent('input_audio_buffer.append', {
  audio: string(),
});

/** Commits the input buffer as a user message. */
export const InputAudioBufferCommitEventSchema = clientEvent('input_audio_buffer.commit', {});

/** Empties the input buffer. */
export const InputAudioBufferClearEventSchema = clientEvent('input_audio_buffer.clear', {});

/** Stops output audio that has not been played yet (WebRTC and SIP only). */
export const OutputAudioBufferClearEventSchema = clientEvent('output_audio_buffer.clear', {});

/** Adds an item to the conversation, after `previous_item_id` when given. */
export const ConversationItemCreateEventSchema = clientEvent('conversation.item.create', {
  previous_item_id: optional(string()),
  item: ConversationItemSchema,
});

/** Asks for an item as the server holds it. */
export const ConversationItemRetrieveEventSchema = clientEvent('conversation.item.retrieve', {
  item_id: string(),
});

/** Cuts an assistant audio item at `audio_end_ms`, dropping the unheard rest and its transcript. */
export const ConversationItemTruncateEventSchema = clientEvent('conversation.item.truncate', {
  item_id: string(),
  content_index: integer({ min: 0 }),
  audio_end_ms: integer({ min: 0 }),
});

/** Removes an item from the conversation. */
export const ConversationItemDeleteEventSchema = clientEvent('conversation.item.delete', {
  item_id: string(),
});

/** Asks the model for a response, optionally with settings for this response only. */
export const ResponseCreateEventSchema = clientEvent('response.create', {
  response: optional(ResponseCreateParamsSchema),
});

/** Cancels the response in progress, or the one named by `response_id`. */
export const ResponseCancelEventSchema = clientEvent('response.cancel', { response_id: optional(string()) });

/**
 * Updates a transcription session in flat fields; the server answers
 * `transcription_session.updated`. openai-node declares it among the GA realtime types but
 * leaves it out of its `RealtimeClientEvent` union, and the GA spec copy has no schema for it
 * (see `model/transcription-session-update.ts`). It is a client event here all the same: a GA
 * socket carries it, and a parser that did not know it would pass it on unchecked. The beta
 * dialect's event of the same name is translated to `session.update` instead
 * (`betaClientEventToGa`); a GA client may send either.
 */
export const TranscriptionSessionUpdateEventSchema = clientEvent('transcription_session.update', {
  session: TranscriptionSessionUpdateConfigSchema,
});

/** Every client event's schema, by its type string. */
export const CLIENT_EVENT_SCHEMAS = {
  'session.update': SessionUpdateEventSchema,
  'input_audio_buffer.append': InputAudioBufferAppendEventSchema,
  'input_audio_buffer.commit': InputAudioBufferCommitEventSchema,
  'input_audio_buffer.clear': InputAudioBufferClearEventSchema,
  'output_audio_buffer.clear': OutputAudioBufferClearEventSchema,
  'conversation.item.create': ConversationItemCreateEventSchema,
  'conversation.item.retrieve': ConversationItemRetrieveEventSchema,
  'conversation.item.truncate': ConversationItemTruncateEventSchema,
  'conversation.item.delete': ConversationItemDeleteEventSchema,
  'response.create': ResponseCreateEventSchema,
  'response.cancel': ResponseCancelEventSchema,
  'transcription_session.update': TranscriptionSessionUpdateEventSchema,
} as const;

/** Maps each client event type string to its event type: `ClientEventMap['session.update']`. */
export type ClientEventMap = {
  [K in keyof typeof CLIENT_EVENT_SCHEMAS]: Infer<(typeof CLIENT_EVENT_SCHEMAS)[K]>;
};

/** Any client event's `type`. */
export type ClientEventType = keyof ClientEventMap;

/** Any client event of the GA protocol, narrowed by `type`. */
export type ClientEvent = ClientEventMap[ClientEventType];

/** The client event type strings, by name: `ClientEventType.SessionUpdate === 'session.update'`. */
export const ClientEventType = {
  SessionUpdate: 'session.update',
  InputAudioBufferAppend: 'input_audio_buffer.append',
  InputAudioBufferCommit: 'input_audio_buffer.commit',
  InputAudioBufferClear: 'input_audio_buffer.clear',
  OutputAudioBufferClear: 'output_audio_buffer.clear',
  ConversationItemCreate: 'conversation.item.create',
  ConversationItemRetrieve: 'conversation.item.retrieve',
  ConversationItemTruncate: 'conversation.item.truncate',
  ConversationItemDelete: 'conversation.item.delete',
  ResponseCreate: 'response.create',
  ResponseCancel: 'response.cancel',
  TranscriptionSessionUpdate: 'transcription_session.update',
} as const satisfies Record<string, ClientEventType>;

/** Every client event type string. */
export const CLIENT_EVENT_TYPES = Object.keys(CLIENT_EVENT_SCHEMAS) as ClientEventType[];

export type SessionUpdateEvent = ClientEventMap['session.update'];
export type InputAudioBufferAppendEvent = ClientEventMap['input_audio_buffer.append'];
export type InputAudioBufferCommitEvent = ClientEventMap['input_audio_buffer.commit'];
export type InputAudioBufferClearEvent = ClientEventMap['input_audio_buffer.clear'];
export type OutputAudioBufferClearEvent = ClientEventMap['output_audio_buffer.clear'];
export type ConversationItemCreateEvent = ClientEventMap['conversation.item.create'];
export type ConversationItemRetrieveEvent = ClientEventMap['conversation.item.retrieve'];
export type ConversationItemTruncateEvent = ClientEventMap['conversation.item.truncate'];
export type ConversationItemDeleteEvent = ClientEventMap['conversation.item.delete'];
export type ResponseCreateEvent = ClientEventMap['response.create'];
export type ResponseCancelEvent = ClientEventMap['response.cancel'];
export type TranscriptionSessionUpdateEvent = ClientEventMap['transcription_session.update'];
