/**
 * Streaming contexts: a response, an item within it and a content part within that hold the
 * `response_id`, `item_id`, `output_index` and `content_index` every streamed event repeats,
 * so a streaming loop supplies only the delta (and gets a fresh `event_id` per event).
 *
 * @example
 * const r = response(responseObject());
 * send(r.created());
 * const item = r.item(messageItem('assistant', [], { status: 'in_progress' }), 0);
 * send(item.added());
 * const part = item.contentPart({ type: 'text', text: '' }, 0);
 * send(part.added());
 * for (const delta of deltas) send(part.outputTextDelta(delta));
 */
import type { ServerEventMap } from '../events/server-events.js';
import type { ConversationItem } from '../model/items.js';
import type { Response } from '../model/response.js';
import { type EventOptions, event } from './event.js';

type S<T extends keyof ServerEventMap> = ServerEventMap[T];
type ContentPart = S<'response.content_part.added'>['part'];

/** One content part of an item being streamed. */
export interface PartContext {
  readonly responseId: string;
  readonly itemId: string;
  readonly outputIndex: number;
  readonly contentIndex: number;
  added(options?: EventOptions): S<'response.content_part.added'>;
  done(part: ContentPart, options?: EventOptions): S<'response.content_part.done'>;
  outputTextDelta(delta: string, options?: EventOptions): S<'response.output_text.delta'>;
  outputTextDone(text: string, options?: EventOptions): S<'response.output_text.done'>;
  outputAudioDelta(base64: string, options?: EventOptions): S<'response.output_audio.delta'>;
  outputAudioDone(options?: EventOptions): S<'response.output_audio.done'>;
  outputAudioTranscriptDelta(
    delta: string,
    options?: EventOptions,
  ): S<'response.output_audio_transcript.delta'>;
  outputAudioTranscriptDone(
    transcript: string,
    options?: EventOptions,
  ): S<'response.output_audio_transcript.done'>;
}

/** One output item of a response being streamed. */
export interface ItemContext {
  readonly responseId: string;
  readonly itemId: string;
  readonly outputIndex: number;
  added(options?: EventOptions): S<'response.output_item.added'>;
  /** `response.output_item.done` with the item's final form (the item given at creation by default). */
  done(item?: ConversationItem, options?: EventOptions): S<'response.output_item.done'>;
  functionCallArgumentsDelta(
    delta: string,
    options?: EventOptions,
  ): S<'response.function_call_arguments.delta'>;
  functionCallArgumentsDone(args: string, options?: EventOptions): S<'response.function_call_arguments.done'>;
  mcpCallArgumentsDelta(delta: string, options?: EventOptions): S<'response.mcp_call_arguments.delta'>;
  mcpCallArgumentsDone(args: string, options?: EventOptions): S<'response.mcp_call_arguments.done'>;
  contentPart(part: ContentPart, contentIndex: number): PartContext;
}

/** A response being streamed. */
export interface ResponseContext {
  readonly responseId: string;
  created(options?: EventOptions): S<'response.created'>;
  /** `response.done` with the response's final fields merged over the initial ones. */
  done(final?: Partial<Response>, options?: EventOptions): S<'response.done'>;
  item(item: ConversationItem, outputIndex: number): ItemContext;
}

function part(
  responseId: string,
  itemId: string,
  outputIndex: number,
  contentIndex: number,
  initial: ContentPart,
): PartContext {
  const at = {
    response_id: responseId,
    item_id: itemId,
    output_index: outputIndex,
    content_index: contentIndex,
  };
  return {
    responseId,
    itemId,
    outputIndex,
    contentIndex,
    added: (o) => event('response.content_part.added', { ...at, part: initial }, o),
    done: (final, o) => event('response.content_part.done', { ...at, part: final }, o),
    outputTextDelta: (delta, o) => event('response.output_text.delta', { ...at, delta }, o),
    outputTextDone: (text, o) => event('response.output_text.done', { ...at, text }, o),
    outputAudioDelta: (delta, o) => event('response.output_audio.delta', { ...at, delta }, o),
    outputAudioDone: (o) => event('response.output_audio.done', at, o),
    outputAudioTranscriptDelta: (delta, o) =>
      event('response.output_audio_transcript.delta', { ...at, delta }, o),
    outputAudioTranscriptDone: (transcript, o) =>
      event('response.output_audio_transcript.done', { ...at, transcript }, o),
  };
}

function item(responseId: string, initial: ConversationItem, outputIndex: number): ItemContext {
  const itemId = initial.id;
  if (itemId === undefined || itemId === null)
    throw new TypeError('A streamed item needs an id (see messageItem, functionCallItem).');
  const at = { response_id: responseId, item_id: itemId, output_index: outputIndex };
  const callId = initial.type === 'function_call' ? (initial.call_id ?? itemId) : itemId;
  const name = initial.type === 'function_call' || initial.type === 'mcp_call' ? initial.name : '';
  return {
    responseId,
    itemId,
    outputIndex,
    added: (o) =>
      event(
        'response.output_item.added',
        { response_id: responseId, output_index: outputIndex, item: initial },
        o,
      ),
    done: (final, o) =>
      event(
        'response.output_item.done',
        { response_id: responseId, output_index: outputIndex, item: final ?? initial },
        o,
      ),
    functionCallArgumentsDelta: (delta, o) =>
      event('response.function_call_arguments.delta', { ...at, call_id: callId, delta }, o),
    functionCallArgumentsDone: (args, o) =>
      event('response.function_call_arguments.done', { ...at, call_id: callId, name, arguments: args }, o),
    mcpCallArgumentsDelta: (delta, o) => event('response.mcp_call_arguments.delta', { ...at, delta }, o),
    mcpCallArgumentsDone: (args, o) =>
      event('response.mcp_call_arguments.done', { ...at, arguments: args }, o),
    contentPart: (initialPart, contentIndex) =>
      part(responseId, itemId, outputIndex, contentIndex, initialPart),
  };
}

/**
 * A streaming context for a response (see {@link responseObject} for building one).
 */
export function response(initial: Response): ResponseContext {
  const responseId = initial.id;
  if (responseId === undefined || responseId === null)
    throw new TypeError('A streamed response needs an id (see responseObject).');
  return {
    responseId,
    created: (o) => event('response.created', { response: initial }, o),
    done: (final, o) => event('response.done', { response: { ...initial, ...final } }, o),
    item: (initialItem, outputIndex) => item(responseId, initialItem, outputIndex),
  };
}
