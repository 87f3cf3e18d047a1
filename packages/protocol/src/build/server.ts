/**
 * Builders for every server event, each `(fields, options?)` with a fresh `event_id` unless
 * one is given — for the engine and for anything that answers clients as a realtime server.
 * Streaming contexts that carry the ids and indexes of a response are in `./streaming.ts`;
 * builders of the objects events carry are in `./objects.ts`.
 *
 * @example
 * server.error({ error: { type: 'invalid_request_error', code: 'x', message: 'Bad.', param: null, event_id: null } });
 * server.inputAudioBufferCleared();
 */
import type { ServerEventMap } from '../events/server-events.js';
import { type EventOptions, event } from './event.js';

export type { EventOptions } from './event.js';
export { functionCallItem, functionCallOutputItem, messageItem, responseObject } from './objects.js';
export { type ItemContext, type PartContext, type ResponseContext, response } from './streaming.js';

/** The fields of a server event, without `type` and `event_id`. */
export type ServerEventFields<T extends keyof ServerEventMap> = Omit<ServerEventMap[T], 'type' | 'event_id'>;

function build<T extends keyof ServerEventMap>(
  type: T,
  fields: ServerEventFields<T>,
  options?: EventOptions,
): ServerEventMap[T] {
  return event(type, fields, options) as unknown as ServerEventMap[T];
}

/** `error` */
export const error = (fields: ServerEventFields<'error'>, options?: EventOptions): ServerEventMap['error'] =>
  build('error', fields, options);

/** `session.created` */
export const sessionCreated = (
  fields: ServerEventFields<'session.created'>,
  options?: EventOptions,
): ServerEventMap['session.created'] => build('session.created', fields, options);

/** `session.updated` */
export const sessionUpdated = (
  fields: ServerEventFields<'session.updated'>,
  options?: EventOptions,
): ServerEventMap['session.updated'] => build('session.updated', fields, options);

/** `conversation.created` */
export const conversationCreated = (
  fields: ServerEventFields<'conversation.created'>,
  options?: EventOptions,
): ServerEventMap['conversation.created'] => build('conversation.created', fields, options);

/** `conversation.item.created` */
export const conversationItemCreated = (
  fields: ServerEventFields<'conversation.item.created'>,
  options?: EventOptions,
): ServerEventMap['conversation.item.created'] => build('conversation.item.created', fields, options);

/** `conversation.item.added` */
export const conversationItemAdded = (
  fields: ServerEventFields<'conversation.item.added'>,
  options?: EventOptions,
): ServerEventMap['conversation.item.added'] => build('conversation.item.added', fields, options);

/** `conversation.item.done` */
export const conversationItemDone = (
  fields: ServerEventFields<'conversation.item.done'>,
  options?: EventOptions,
): ServerEventMap['conversation.item.done'] => build('conversation.item.done', fields, options);

/** `conversation.item.retrieved` */
export const conversationItemRetrieved = (
  fields: ServerEventFields<'conversation.item.retrieved'>,
  options?: EventOptions,
): ServerEventMap['conversation.item.retrieved'] => build('conversation.item.retrieved', fields, options);

/** `conversation.item.truncated` */
export const conversationItemTruncated = (
  fields: ServerEventFields<'conversation.item.truncated'>,
  options?: EventOptions,
): ServerEventMap['conversation.item.truncated'] => build('conversation.item.truncated', fields, options);

/** `conversation.item.deleted` */
export const conversationItemDeleted = (
  fields: ServerEventFields<'conversation.item.deleted'>,
  options?: EventOptions,
): ServerEventMap['conversation.item.deleted'] => build('conversation.item.deleted', fields, options);

/** `conversation.item.input_audio_transcription.completed` */
export const conversationItemInputAudioTranscriptionCompleted = (
  fields: ServerEventFields<'conversation.item.input_audio_transcription.completed'>,
  options?: EventOptions,
): ServerEventMap['conversation.item.input_audio_transcription.completed'] =>
  build('conversation.item.input_audio_transcription.completed', fields, options);

/** `conversation.item.input_audio_transcription.delta` */
export const conversationItemInputAudioTranscriptionDelta = (
  fields: ServerEventFields<'conversation.item.input_audio_transcription.delta'>,
  options?: EventOptions,
): ServerEventMap['conversation.item.input_audio_transcription.delta'] =>
  build('conversation.item.input_audio_transcription.delta', fields, options);

/** `conversation.item.input_audio_transcription.failed` */
export const conversationItemInputAudioTranscriptionFailed = (
  fields: ServerEventFields<'conversation.item.input_audio_transcription.failed'>,
  options?: EventOptions,
): ServerEventMap['conversation.item.input_audio_transcription.failed'] =>
  build('conversation.item.input_audio_transcription.failed', fields, options);

/** `conversation.item.input_audio_transcription.segment` */
export const conversationItemInputAudioTranscriptionSegment = (
  fields: ServerEventFields<'conversation.item.input_audio_transcription.segment'>,
  options?: EventOptions,
): ServerEventMap['conversation.item.input_audio_transcription.segment'] =>
  build('conversation.item.input_audio_transcription.segment', fields, options);

/** `input_audio_buffer.committed` */
export const inputAudioBufferCommitted = (
  fields: ServerEventFields<'input_audio_buffer.committed'>,
  options?: EventOptions,
): ServerEventMap['input_audio_buffer.committed'] => build('input_audio_buffer.committed', fields, options);

/** `input_audio_buffer.cleared` */
export const inputAudioBufferCleared = (
  options?: EventOptions,
): ServerEventMap['input_audio_buffer.cleared'] => build('input_audio_buffer.cleared', {}, options);

/** `input_audio_buffer.speech_started` */
export const inputAudioBufferSpeechStarted = (
  fields: ServerEventFields<'input_audio_buffer.speech_started'>,
  options?: EventOptions,
): ServerEventMap['input_audio_buffer.speech_started'] =>
  build('input_audio_buffer.speech_started', fields, options);

/** `input_audio_buffer.speech_stopped` */
export const inputAudioBufferSpeechStopped = (
  fields: ServerEventFields<'input_audio_buffer.speech_stopped'>,
  options?: EventOptions,
): ServerEventMap['input_audio_buffer.speech_stopped'] =>
  build('input_audio_buffer.speech_stopped', fields, options);

/** `input_audio_buffer.timeout_triggered` */
export const inputAudioBufferTimeoutTriggered = (
  fields: ServerEventFields<'input_audio_buffer.timeout_triggered'>,
  options?: EventOptions,
): ServerEventMap['input_audio_buffer.timeout_triggered'] =>
  build('input_audio_buffer.timeout_triggered', fields, options);

/** `input_audio_buffer.dtmf_event_received`: the one event without an `event_id`. */
export const inputAudioBufferDtmfEventReceived = (
  fields: Omit<ServerEventMap['input_audio_buffer.dtmf_event_received'], 'type'>,
): ServerEventMap['input_audio_buffer.dtmf_event_received'] => ({
  type: 'input_audio_buffer.dtmf_event_received',
  ...fields,
});

/** `output_audio_buffer.started` */
export const outputAudioBufferStarted = (
  fields: ServerEventFields<'output_audio_buffer.started'>,
  options?: EventOptions,
): ServerEventMap['output_audio_buffer.started'] => build('output_audio_buffer.started', fields, options);

/** `output_audio_buffer.stopped` */
export const outputAudioBufferStopped = (
  fields: ServerEventFields<'output_audio_buffer.stopped'>,
  options?: EventOptions,
): ServerEventMap['output_audio_buffer.stopped'] => build('output_audio_buffer.stopped', fields, options);

/** `output_audio_buffer.cleared` */
export const outputAudioBufferCleared = (
  fields: ServerEventFields<'output_audio_buffer.cleared'>,
  options?: EventOptions,
): ServerEventMap['output_audio_buffer.cleared'] => build('output_audio_buffer.cleared', fields, options);

/** `response.created` */
export const responseCreated = (
  fields: ServerEventFields<'response.created'>,
  options?: EventOptions,
): ServerEventMap['response.created'] => build('response.created', fields, options);

/** `response.done` */
export const responseDone = (
  fields: ServerEventFields<'response.done'>,
  options?: EventOptions,
): ServerEventMap['response.done'] => build('response.done', fields, options);

/** `response.output_item.added` */
export const responseOutputItemAdded = (
  fields: ServerEventFields<'response.output_item.added'>,
  options?: EventOptions,
): ServerEventMap['response.output_item.added'] => build('response.output_item.added', fields, options);

/** `response.output_item.done` */
export const responseOutputItemDone = (
  fields: ServerEventFields<'response.output_item.done'>,
  options?: EventOptions,
): ServerEventMap['response.output_item.done'] => build('response.output_item.done', fields, options);

/** `response.content_part.added` */
export const responseContentPartAdded = (
  fields: ServerEventFields<'response.content_part.added'>,
  options?: EventOptions,
): ServerEventMap['response.content_part.added'] => build('response.content_part.added', fields, options);

/** `response.content_part.done` */
export const responseContentPartDone = (
  fields: ServerEventFields<'response.content_part.done'>,
  options?: EventOptions,
): ServerEventMap['response.content_part.done'] => build('response.content_part.done', fields, options);

/** `response.output_text.delta` */
export const responseOutputTextDelta = (
  fields: ServerEventFields<'response.output_text.delta'>,
  options?: EventOptions,
): ServerEventMap['response.output_text.delta'] => build('response.output_text.delta', fields, options);

/** `response.output_text.done` */
export const responseOutputTextDone = (
  fields: ServerEventFields<'response.output_text.done'>,
  options?: EventOptions,
): ServerEventMap['response.output_text.done'] => build('response.output_text.done', fields, options);

/** `response.output_audio_transcript.delta` */
export const responseOutputAudioTranscriptDelta = (
  fields: ServerEventFields<'response.output_audio_transcript.delta'>,
  options?: EventOptions,
): ServerEventMap['response.output_audio_transcript.delta'] =>
  build('response.output_audio_transcript.delta', fields, options);

/** `response.output_audio_transcript.done` */
export const responseOutputAudioTranscriptDone = (
  fields: ServerEventFields<'response.output_audio_transcript.done'>,
  options?: EventOptions,
): ServerEventMap['response.output_audio_transcript.done'] =>
  build('response.output_audio_transcript.done', fields, options);

/** `response.output_audio.delta` */
export const responseOutputAudioDelta = (
  fields: ServerEventFields<'response.output_audio.delta'>,
  options?: EventOptions,
): ServerEventMap['response.output_audio.delta'] => build('response.output_audio.delta', fields, options);

/** `response.output_audio.done` */
export const responseOutputAudioDone = (
  fields: ServerEventFields<'response.output_audio.done'>,
  options?: EventOptions,
): ServerEventMap['response.output_audio.done'] => build('response.output_audio.done', fields, options);

/** `response.function_call_arguments.delta` */
export const responseFunctionCallArgumentsDelta = (
  fields: ServerEventFields<'response.function_call_arguments.delta'>,
  options?: EventOptions,
): ServerEventMap['response.function_call_arguments.delta'] =>
  build('response.function_call_arguments.delta', fields, options);

/** `response.function_call_arguments.done` */
export const responseFunctionCallArgumentsDone = (
  fields: ServerEventFields<'response.function_call_arguments.done'>,
  options?: EventOptions,
): ServerEventMap['response.function_call_arguments.done'] =>
  build('response.function_call_arguments.done', fields, options);

/** `response.mcp_call_arguments.delta` */
export const responseMcpCallArgumentsDelta = (
  fields: ServerEventFields<'response.mcp_call_arguments.delta'>,
  options?: EventOptions,
): ServerEventMap['response.mcp_call_arguments.delta'] =>
  build('response.mcp_call_arguments.delta', fields, options);

/** `response.mcp_call_arguments.done` */
export const responseMcpCallArgumentsDone = (
  fields: ServerEventFields<'response.mcp_call_arguments.done'>,
  options?: EventOptions,
): ServerEventMap['response.mcp_call_arguments.done'] =>
  build('response.mcp_call_arguments.done', fields, options);

/** `response.mcp_call.in_progress` */
export const responseMcpCallInProgress = (
  fields: ServerEventFields<'response.mcp_call.in_progress'>,
  options?: EventOptions,
): ServerEventMap['response.mcp_call.in_progress'] => build('response.mcp_call.in_progress', fields, options);

/** `response.mcp_call.completed` */
export const responseMcpCallCompleted = (
  fields: ServerEventFields<'response.mcp_call.completed'>,
  options?: EventOptions,
): ServerEventMap['response.mcp_call.completed'] => build('response.mcp_call.completed', fields, options);

/** `response.mcp_call.failed` */
export const responseMcpCallFailed = (
  fields: ServerEventFields<'response.mcp_call.failed'>,
  options?: EventOptions,
): ServerEventMap['response.mcp_call.failed'] => build('response.mcp_call.failed', fields, options);

/** `mcp_list_tools.in_progress` */
export const mcpListToolsInProgress = (
  fields: ServerEventFields<'mcp_list_tools.in_progress'>,
  options?: EventOptions,
): ServerEventMap['mcp_list_tools.in_progress'] => build('mcp_list_tools.in_progress', fields, options);

/** `mcp_list_tools.completed` */
export const mcpListToolsCompleted = (
  fields: ServerEventFields<'mcp_list_tools.completed'>,
  options?: EventOptions,
): ServerEventMap['mcp_list_tools.completed'] => build('mcp_list_tools.completed', fields, options);

/** `mcp_list_tools.failed` */
export const mcpListToolsFailed = (
  fields: ServerEventFields<'mcp_list_tools.failed'>,
  options?: EventOptions,
): ServerEventMap['mcp_list_tools.failed'] => build('mcp_list_tools.failed', fields, options);

/** `rate_limits.updated` */
export const rateLimitsUpdated = (
  fields: ServerEventFields<'rate_limits.updated'>,
  options?: EventOptions,
): ServerEventMap['rate_limits.updated'] => build('rate_limits.updated', fields, options);

/** `transcription_session.updated`, the answer to `transcription_session.update`. */
export const transcriptionSessionUpdated = (
  fields: ServerEventFields<'transcription_session.updated'>,
  options?: EventOptions,
): ServerEventMap['transcription_session.updated'] => build('transcription_session.updated', fields, options);
