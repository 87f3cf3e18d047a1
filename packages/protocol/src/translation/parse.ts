/**
 * Parsing untrusted frames of a translation session: the GA parsers' checks, errors and
 * options, with the translation event schemas.
 */
import { type FrameInput, type ParseOptions, type ParseResult, parseEventWith } from '../parse.js';
import {
  TRANSLATION_CLIENT_EVENT_SCHEMAS,
  TRANSLATION_SERVER_EVENT_SCHEMAS,
  type TranslationClientEvent,
  type TranslationClientEventType,
  type TranslationServerEvent,
  type TranslationServerEventType,
} from './events.js';

/**
 * Parses and validates a frame a translation client sent. Never throws; a malformed frame
 * gives the `ProtocolError` the GA parser would, ready for `toErrorEvent`.
 *
 * @example
 * const result = parseTranslationClientEvent(frame);
 * if (!result.ok) return socket.send(JSON.stringify(toErrorEvent(result.error)));
 * if (result.known && result.event.type === 'session.update') apply(result.event.session.audio);
 */
export function parseTranslationClientEvent(
  input: FrameInput,
  options: ParseOptions = {},
): ParseResult<TranslationClientEvent> {
  return parseEventWith(
    input,
    TRANSLATION_CLIENT_EVENT_SCHEMAS,
    'a client event type of a translation session',
    options,
  );
}

/**
 * Parses and validates a frame a translation server sent. Never throws.
 *
 * @example
 * const result = parseTranslationServerEvent(frame);
 * if (result.ok && result.known && result.event.type === 'session.output_transcript.delta') show(result.event.delta);
 */
export function parseTranslationServerEvent(
  input: FrameInput,
  options: ParseOptions = {},
): ParseResult<TranslationServerEvent> {
  return parseEventWith(
    input,
    TRANSLATION_SERVER_EVENT_SCHEMAS,
    'a server event type of a translation session',
    options,
  );
}

/** Whether `type` is a client event type of a translation session. */
export function isTranslationClientEventType(type: string): type is TranslationClientEventType {
  return Object.hasOwn(TRANSLATION_CLIENT_EVENT_SCHEMAS, type);
}

/** Whether `type` is a server event type of a translation session. */
export function isTranslationServerEventType(type: string): type is TranslationServerEventType {
  return Object.hasOwn(TRANSLATION_SERVER_EVENT_SCHEMAS, type);
}
