import { ConversationItemSchema } from '../model/items.js';
import {
  LogProbSchema,
  RateLimitSchema,
  ResponseSchema,
  TranscriptionUsageSchema,
} from '../model/response.js';
import { SessionSchema } from '../model/session.js';
import { TranscriptionSessionUpdatedSessionSchema } from '../model/transcription-session-update.js';
import {
  array,
  enumOf,
  type Infer,
  integer,
  literal,
  nullable,
  number,
  object,
  optional,
  type Shape,
  string,
} from '../schema/schema.js';

/** A server event's schema: its `type`, its `event_id`, and `shape`. */
export function serverEvent<const T extends string, const S extends Shape>(type: T, shape: S) {
  return object({ event_id: string(), type: literal(type), ...shape });
}

/** Indexes and offsets in milliseconds are never negative. */
const index = integer({ min: 0 });
const milliseconds = integer({ min: 0 });

/** Where a streamed part of a response belongs. */
const contentPosition = {
  response_id: string(),
  item_id: string(),
  output_index: index,
  content_index: index,
} as const;
const itemPosition = { response_id: string(), item_id: string(), output_index: index } as const;
const previousItemId = optional(nullable(string()));

/**
 * A content part streamed in a response. The spec names the kinds `text` and `audio`; servers
 * that use the message item names `output_text` and `output_audio` are accepted unless the
 * check is strict.
 */
export const ResponseContentPartSchema = object({
  type: optional(enumOf(['text', 'audio'], { legacy: ['output_text', 'output_audio'] })),
  text: optional(string()),
  audio: optional(string()),
  transcript: optional(string()),
});

/** The payload of an `error` event. `event_id` names the client event that caused it. */
export const ErrorDetailsSchema = object({
  type: string(),
  code: optional(nullable(string())),
  message: string(),
  param: optional(nullable(string())),
  event_id: optional(nullable(string())),
});

export const ErrorEventSchema = serverEvent('error', { error: ErrorDetailsSchema });
export const SessionCreatedEventSchema = serverEvent('session.created', { session: SessionSchema });
export const SessionUpdatedEventSchema = serverEvent('session.updated', { session: SessionSchema });
/**
 * The answer to `transcription_session.update`: the transcription session's effective settings
 * in flat fields. Like the update, it is declared among openai-node's GA realtime types but not
 * in its `RealtimeServerEvent` union, and the GA spec copy has no schema for it; it is a server
 * event here so that a parser checks it rather than passing it on unknown.
 */
export const TranscriptionSessionUpdatedEventSchema = serverEvent('transcription_session.updated', {
  session: TranscriptionSessionUpdatedSessionSchema,
});
export const ConversationCreatedEventSchema = serverEvent('conversation.created', {
  conversation: object({ id: optional(string()), object: optional(string()) }),
});
export const ConversationItemCreatedEventSchema = serverEvent('conversation.item.created', {
  previous_item_id: previousItemId,
  item: ConversationItemSchema,
});
export const ConversationItemAddedEventSchema = serverEvent('conversation.item.added', {
  previous_item_id: previousItemId,
  item: ConversationItemSchema,
});
export const ConversationItemDoneEventSchema = serverEvent('conversation.item.done', {
  previous_item_id: previousItemId,
  item: ConversationItemSchema,
});
export const ConversationItemRetrievedEventSchema = serverEvent('conversation.item.retrieved', {
  item: ConversationItemSchema,
});
export const ConversationItemTruncatedEventSchema = serverEvent('conversation.item.truncated', {
  item_id: string(),
  content_index: index,
  audio_end_ms: milliseconds,
});
export const ConversationItemDeletedEventSchema = serverEvent('conversation.item.deleted', {
  item_id: string(),
});
export const InputAudioTranscriptionCompletedEventSchema = serverEvent(
  'conversation.item.input_audio_transcription.completed',
  {
    item_id: string(),
    content_index: index,
    transcript: string(),
    languages: optional(array(object({ code: string() }))),
    logprobs: optional(nullable(array(LogProbSchema))),
    usage: TranscriptionUsageSchema,
  },
);
export const InputAudioTranscriptionDeltaEventSchema = serverEvent(
  'conversation.item.input_audio_transcription.delta',
  {
    item_id: string(),
    content_index: optional(index),
    delta: optional(string()),
    logprobs: optional(nullable(array(LogProbSchema))),
  },
);
export const InputAudioTranscriptionFailedEventSchema = serverEvent(
  'conversation.item.input_audio_transcription.failed',
  {
    item_id: string(),
    content_index: index,
    error: object({
      type: optional(string()),
      code: optional(string()),
      message: optional(string()),
      param: optional(string()),
    }),
  },
);
/** A diarized transcription segment: who spoke which text, from `start` to `end` seconds. */
export const InputAudioTranscriptionSegmentEventSchema = serverEvent(
  'conversation.item.input_audio_transcription.segment',
  {
    item_id: string(),
    content_index: index,
    text: string(),
    id: string(),
    speaker: string(),
    start: number(),
    end: number(),
  },
);
export const InputAudioBufferCommittedEventSchema = serverEvent('input_audio_buffer.committed', {
  previous_item_id: previousItemId,
  item_id: string(),
});
export const InputAudioBufferClearedEventSchema = serverEvent('input_audio_buffer.cleared', {});
export const InputAudioBufferSpeechStartedEventSchema = serverEvent('input_audio_buffer.speech_started', {
  audio_start_ms: milliseconds,
  item_id: string(),
});
export const InputAudioBufferSpeechStoppedEventSchema = serverEvent('input_audio_buffer.speech_stopped', {
  audio_end_ms: milliseconds,
  item_id: string(),
});
export const InputAudioBufferTimeoutTriggeredEventSchema = serverEvent(
  'input_audio_buffer.timeout_triggered',
  {
    audio_start_ms: milliseconds,
    audio_end_ms: milliseconds,
    item_id: string(),
  },
);
/**
 * A DTMF key press on a SIP call. Unlike every other server event it carries no `event_id`.
 */
export const InputAudioBufferDtmfEventReceivedEventSchema = object({
  type: literal('input_audio_buffer.dtmf_event_received'),
  event: string(),
  received_at: integer(),
});
export const OutputAudioBufferStartedEventSchema = serverEvent('output_audio_buffer.started', {
  response_id: string(),
});
export const OutputAudioBufferStoppedEventSchema = serverEvent('output_audio_buffer.stopped', {
  response_id: string(),
});
export const OutputAudioBufferClearedEventSchema = serverEvent('output_audio_buffer.cleared', {
  response_id: string(),
});
export const ResponseCreatedEventSchema = serverEvent('response.created', { response: ResponseSchema });
export const ResponseDoneEventSchema = serverEvent('response.done', { response: ResponseSchema });
export const ResponseOutputItemAddedEventSchema = serverEvent('response.output_item.added', {
  response_id: string(),
  output_index: index,
  item: ConversationItemSchema,
});
export const ResponseOutputItemDoneEventSchema = serverEvent('response.output_item.done', {
  response_id: string(),
  output_index: index,
  item: ConversationItemSchema,
});
export const ResponseContentPartAddedEventSchema = serverEvent('response.content_part.added', {
  ...contentPosition,
  part: ResponseContentPartSchema,
});
export const ResponseContentPartDoneEventSchema = serverEvent('response.content_part.done', {
  ...contentPosition,
  part: ResponseContentPartSchema,
});
export const ResponseOutputTextDeltaEventSchema = serverEvent('response.output_text.delta', {
  ...contentPosition,
  delta: string(),
});
export const ResponseOutputTextDoneEventSchema = serverEvent('response.output_text.done', {
  ...contentPosition,
  text: string(),
});
export const ResponseOutputAudioTranscriptDeltaEventSchema = serverEvent(
  'response.output_audio_transcript.delta',
  {
    ...contentPosition,
    delta: string(),
  },
);
export const ResponseOutputAudioTranscriptDoneEventSchema = serverEvent(
  'response.output_audio_transcript.done',
  {
    ...contentPosition,
    transcript: string(),
  },
);
/** A chunk of base64 audio; these frames are the bulk of a session's traffic. */
export const ResponseOutputAudioDeltaEventSchema = serverEvent('response.output_audio.delta', {
  ...contentPosition,
  delta: string(),
});
export const ResponseOutputAudioDoneEventSchema = serverEvent('response.output_audio.done', contentPosition);
export const ResponseFunctionCallArgumentsDeltaEventSchema = serverEvent(
  'response.function_call_arguments.delta',
  {
    ...itemPosition,
    call_id: string(),
    delta: string(),
  },
);
export const ResponseFunctionCallArgumentsDoneEventSchema = serverEvent(
  'response.function_call_arguments.done',
  {
    ...itemPosition,
    call_id: string(),
    name: string(),
    arguments: string(),
  },
);
export const ResponseMcpCallArgumentsDeltaEventSchema = serverEvent('response.mcp_call_arguments.delta', {
  ...itemPosition,
  delta: string(),
  obfuscation: optional(nullable(string())),
});
export const ResponseMcpCallArgumentsDoneEventSchema = serverEvent('response.mcp_call_arguments.done', {
  ...itemPosition,
  arguments: string(),
});
export const ResponseMcpCallInProgressEventSchema = serverEvent('response.mcp_call.in_progress', {
  output_index: index,
  item_id: string(),
});
export const ResponseMcpCallCompletedEventSchema = serverEvent('response.mcp_call.completed', {
  output_index: index,
  item_id: string(),
});
export const ResponseMcpCallFailedEventSchema = serverEvent('response.mcp_call.failed', {
  output_index: index,
  item_id: string(),
});
export const McpListToolsInProgressEventSchema = serverEvent('mcp_list_tools.in_progress', {
  item_id: string(),
});
export const McpListToolsCompletedEventSchema = serverEvent('mcp_list_tools.completed', {
  item_id: string(),
});
export const McpListToolsFailedEventSchema = serverEvent('mcp_list_tools.failed', { item_id: string() });
export const RateLimitsUpdatedEventSchema = serverEvent('rate_limits.updated', {
  rate_limits: array(RateLimitSchema),
});

/** Every server event's schema, by its type string. */
export const SERVER_EVENT_SCHEMAS = {
  error: ErrorEventSchema,
  'session.created': SessionCreatedEventSchema,
  'session.updated': SessionUpdatedEventSchema,
  'conversation.created': ConversationCreatedEventSchema,
  'conversation.item.created': ConversationItemCreatedEventSchema,
  'conversation.item.added': ConversationItemAddedEventSchema,
  'conversation.item.done': ConversationItemDoneEventSchema,
  'conversation.item.retrieved': ConversationItemRetrievedEventSchema,
  'conversation.item.truncated': ConversationItemTruncatedEventSchema,
  'conversation.item.deleted': ConversationItemDeletedEventSchema,
  'conversation.item.input_audio_transcription.completed': InputAudioTranscriptionCompletedEventSchema,
  'conversation.item.input_audio_transcription.delta': InputAudioTranscriptionDeltaEventSchema,
  'conversation.item.input_audio_transcription.failed': InputAudioTranscriptionFailedEventSchema,
  'conversation.item.input_audio_transcription.segment': InputAudioTranscriptionSegmentEventSchema,
  'input_audio_buffer.committed': InputAudioBufferCommittedEventSchema,
  'input_audio_buffer.cleared': InputAudioBufferClearedEventSchema,
  'input_audio_buffer.speech_started': InputAudioBufferSpeechStartedEventSchema,
  'input_audio_buffer.speech_stopped': InputAudioBufferSpeechStoppedEventSchema,
  'input_audio_buffer.timeout_triggered': InputAudioBufferTimeoutTriggeredEventSchema,
  'input_audio_buffer.dtmf_event_received': InputAudioBufferDtmfEventReceivedEventSchema,
  'output_audio_buffer.started': OutputAudioBufferStartedEventSchema,
  'output_audio_buffer.stopped': OutputAudioBufferStoppedEventSchema,
  'output_audio_buffer.cleared': OutputAudioBufferClearedEventSchema,
  'response.created': ResponseCreatedEventSchema,
  'response.done': ResponseDoneEventSchema,
  'response.output_item.added': ResponseOutputItemAddedEventSchema,
  'response.output_item.done': ResponseOutputItemDoneEventSchema,
  'response.content_part.added': ResponseContentPartAddedEventSchema,
  'response.content_part.done': ResponseContentPartDoneEventSchema,
  'response.output_text.delta': ResponseOutputTextDeltaEventSchema,
  'response.output_text.done': ResponseOutputTextDoneEventSchema,
  'response.output_audio_transcript.delta': ResponseOutputAudioTranscriptDeltaEventSchema,
  'response.output_audio_transcript.done': ResponseOutputAudioTranscriptDoneEventSchema,
  'response.output_audio.delta': ResponseOutputAudioDeltaEventSchema,
  'response.output_audio.done': ResponseOutputAudioDoneEventSchema,
  'response.function_call_arguments.delta': ResponseFunctionCallArgumentsDeltaEventSchema,
  'response.function_call_arguments.done': ResponseFunctionCallArgumentsDoneEventSchema,
  'response.mcp_call_arguments.delta': ResponseMcpCallArgumentsDeltaEventSchema,
  'response.mcp_call_arguments.done': ResponseMcpCallArgumentsDoneEventSchema,
  'response.mcp_call.in_progress': ResponseMcpCallInProgressEventSchema,
  'response.mcp_call.completed': ResponseMcpCallCompletedEventSchema,
  'response.mcp_call.failed': ResponseMcpCallFailedEventSchema,
  'mcp_list_tools.in_progress': McpListToolsInProgressEventSchema,
  'mcp_list_tools.completed': McpListToolsCompletedEventSchema,
  'mcp_list_tools.failed': McpListToolsFailedEventSchema,
  'rate_limits.updated': RateLimitsUpdatedEventSchema,
  'transcription_session.updated': TranscriptionSessionUpdatedEventSchema,
} as const;

/** Maps each server event type string to its event type: `ServerEventMap['response.done']`. */
export type ServerEventMap = {
  [K in keyof typeof SERVER_EVENT_SCHEMAS]: Infer<(typeof SERVER_EVENT_SCHEMAS)[K]>;
};

/** Any server event's `type`. */
export type ServerEventType = keyof ServerEventMap;

/** Any server event of the GA protocol, narrowed by `type`. */
export type ServerEvent = ServerEventMap[ServerEventType];

/** The server event type strings, by name: `ServerEventType.ResponseDone === 'response.done'`. */
export const ServerEventType = {
  Error: 'error',
  SessionCreated: 'session.created',
  SessionUpdated: 'session.updated',
  ConversationCreated: 'conversation.created',
  ConversationItemCreated: 'conversation.item.created',
  ConversationItemAdded: 'conversation.item.added',
  ConversationItemDone: 'conversation.item.done',
  ConversationItemRetrieved: 'conversation.item.retrieved',
  ConversationItemTruncated: 'conversation.item.truncated',
  ConversationItemDeleted: 'conversation.item.deleted',
  InputAudioTranscriptionCompleted: 'conversation.item.input_audio_transcription.completed',
  InputAudioTranscriptionDelta: 'conversation.item.input_audio_transcription.delta',
  InputAudioTranscriptionFailed: 'conversation.item.input_audio_transcription.failed',
  InputAudioTranscriptionSegment: 'conversation.item.input_audio_transcription.segment',
  InputAudioBufferCommitted: 'input_audio_buffer.committed',
  InputAudioBufferCleared: 'input_audio_buffer.cleared',
  InputAudioBufferSpeechStarted: 'input_audio_buffer.speech_started',
  InputAudioBufferSpeechStopped: 'input_audio_buffer.speech_stopped',
  InputAudioBufferTimeoutTriggered: 'input_audio_buffer.timeout_triggered',
  InputAudioBufferDtmfEventReceived: 'input_audio_buffer.dtmf_event_received',
  OutputAudioBufferStarted: 'output_audio_buffer.started',
  OutputAudioBufferStopped: 'output_audio_buffer.stopped',
  OutputAudioBufferCleared: 'output_audio_buffer.cleared',
  ResponseCreated: 'response.created',
  ResponseDone: 'response.done',
  ResponseOutputItemAdded: 'response.output_item.added',
  ResponseOutputItemDone: 'response.output_item.done',
  ResponseContentPartAdded: 'response.content_part.added',
  ResponseContentPartDone: 'response.content_part.done',
  ResponseOutputTextDelta: 'response.output_text.delta',
  ResponseOutputTextDone: 'response.output_text.done',
  ResponseOutputAudioTranscriptDelta: 'response.output_audio_transcript.delta',
  ResponseOutputAudioTranscriptDone: 'response.output_audio_transcript.done',
  ResponseOutputAudioDelta: 'response.output_audio.delta',
  ResponseOutputAudioDone: 'response.output_audio.done',
  ResponseFunctionCallArgumentsDelta: 'response.function_call_arguments.delta',
  ResponseFunctionCallArgumentsDone: 'response.function_call_arguments.done',
  ResponseMcpCallArgumentsDelta: 'response.mcp_call_arguments.delta',
  ResponseMcpCallArgumentsDone: 'response.mcp_call_arguments.done',
  ResponseMcpCallInProgress: 'response.mcp_call.in_progress',
  ResponseMcpCallCompleted: 'response.mcp_call.completed',
  ResponseMcpCallFailed: 'response.mcp_call.failed',
  McpListToolsInProgress: 'mcp_list_tools.in_progress',
  McpListToolsCompleted: 'mcp_list_tools.completed',
  McpListToolsFailed: 'mcp_list_tools.failed',
  RateLimitsUpdated: 'rate_limits.updated',
  TranscriptionSessionUpdated: 'transcription_session.updated',
} as const satisfies Record<string, ServerEventType>;

/** Every server event type string. */
export const SERVER_EVENT_TYPES = Object.keys(SERVER_EVENT_SCHEMAS) as ServerEventType[];

export type ResponseContentPart = Infer<typeof ResponseContentPartSchema>;
export type ErrorDetails = Infer<typeof ErrorDetailsSchema>;
export type ErrorEvent = ServerEventMap['error'];
export type SessionCreatedEvent = ServerEventMap['session.created'];
export type SessionUpdatedEvent = ServerEventMap['session.updated'];
export type TranscriptionSessionUpdatedEvent = ServerEventMap['transcription_session.updated'];
export type ConversationItemAddedEvent = ServerEventMap['conversation.item.added'];
export type ConversationItemDoneEvent = ServerEventMap['conversation.item.done'];
export type ResponseCreatedEvent = ServerEventMap['response.created'];
export type ResponseDoneEvent = ServerEventMap['response.done'];
export type ResponseOutputAudioDeltaEvent = ServerEventMap['response.output_audio.delta'];
export type ResponseFunctionCallArgumentsDoneEvent = ServerEventMap['response.function_call_arguments.done'];
export type InputAudioBufferDtmfEventReceivedEvent = ServerEventMap['input_audio_buffer.dtmf_event_received'];
