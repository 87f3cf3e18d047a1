/**
 * Builders for the 12 client events — what the gateway uses to inject events into an upstream
 * session, and what any client can use to speak the protocol. Each takes an optional
 * `eventId`; without one a fresh `event_…` id is made, so errors can always be matched to the
 * event that caused them.
 *
 * @example
 * ws.send(JSON.stringify(client.conversationItemCreate(item, { previousItemId: lastId })));
 * ws.send(JSON.stringify(client.responseCreate()));
 */
import type { ClientEventMap } from '../events/client-events.js';
import type { ConversationItem } from '../model/items.js';
import type { ResponseCreateParams } from '../model/response.js';
import type { SessionConfig } from '../model/session.js';
import type { TranscriptionSessionUpdateConfig } from '../model/transcription-session-update.js';
import { type EventOptions, event } from './event.js';

export type { EventOptions } from './event.js';

type E<T extends keyof ClientEventMap> = ClientEventMap[T];

/** `session.update` with the session settings to change. */
export function sessionUpdate(session: SessionConfig, options?: EventOptions): E<'session.update'> {
  return event('session.update', { session }, options);
}

/** `input_audio_buffer.append` with base64 audio in the session's input format. */
export function inputAudioBufferAppend(
  audio: string,
  options?: EventOptions,
): E<'input_audio_buffer.append'> {
  return event('input_audio_buffer.append', { audio }, options);
}

export function inputAudioBufferCommit(options?: EventOptions): E<'input_audio_buffer.commit'> {
  return event('input_audio_buffer.commit', {}, options);
}

export function inputAudioBufferClear(options?: EventOptions): E<'input_audio_buffer.clear'> {
  return event('input_audio_buffer.clear', {}, options);
}

export function outputAudioBufferClear(options?: EventOptions): E<'output_audio_buffer.clear'> {
  return event('output_audio_buffer.clear', {}, options);
}

/** `conversation.item.create`, after `previousItemId` when given (`root` for the start). */
export function conversationItemCreate(
  item: ConversationItem,
  options?: EventOptions & { readonly previousItemId?: string },
): E<'conversation.item.create'> {
  const fields =
    options?.previousItemId === undefined ? { item } : { previous_item_id: options.previousItemId, item };
  return event('conversation.item.create', fields, options);
}

export function conversationItemRetrieve(
  itemId: string,
  options?: EventOptions,
): E<'conversation.item.retrieve'> {
  return event('conversation.item.retrieve', { item_id: itemId }, options);
}

/** `conversation.item.truncate`: the assistant audio the user heard ends at `audioEndMs`. */
export function conversationItemTruncate(
  itemId: string,
  contentIndex: number,
  audioEndMs: number,
  options?: EventOptions,
): E<'conversation.item.truncate'> {
  return event(
    'conversation.item.truncate',
    { item_id: itemId, content_index: contentIndex, audio_end_ms: audioEndMs },
    options,
  );
}

export function conversationItemDelete(
  itemId: string,
  options?: EventOptions,
): E<'conversation.item.delete'> {
  return event('conversation.item.delete', { item_id: itemId }, options);
}

/** `response.create`, with per-response settings when given. */
export function responseCreate(
  response?: ResponseCreateParams,
  options?: EventOptions,
): E<'response.create'> {
  return event('response.create', response === undefined ? {} : { response }, options);
}

/** `response.cancel` of the response in progress, or of `responseId`. */
export function responseCancel(
  options?: EventOptions & { readonly responseId?: string },
): E<'response.cancel'> {
  return event(
    'response.cancel',
    options?.responseId === undefined ? {} : { response_id: options.responseId },
    options,
  );
}

/**
 * `transcription_session.update` with a transcription session's settings in flat fields; a
 * transcription session can equally be updated with `sessionUpdate({ type: 'transcription', … })`.
 *
 * @example
 * ws.send(JSON.stringify(client.transcriptionSessionUpdate({ input_audio_format: 'pcm16', turn_detection: null })));
 */
export function transcriptionSessionUpdate(
  session: TranscriptionSessionUpdateConfig,
  options?: EventOptions,
): E<'transcription_session.update'> {
  return event('transcription_session.update', { session }, options);
}
