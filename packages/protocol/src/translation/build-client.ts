/**
 * Builders for the three translation client events, each with a fresh `event_…` id unless
 * one is given, so an `error` can be matched to the event that caused it.
 *
 * @example
 * ws.send(JSON.stringify(translationClient.sessionUpdate({ audio: { output: { language: 'de' } } })));
 * ws.send(JSON.stringify(translationClient.inputAudioBufferAppend(base64Pcm16)));
 * ws.send(JSON.stringify(translationClient.sessionClose()));
 */
import { type EventOptions, event } from '../build/event.js';
import type { TranslationClientEventMap } from './events.js';
import type { TranslationSessionUpdateRequest } from './session.js';

export type { EventOptions } from '../build/event.js';

type E<T extends keyof TranslationClientEventMap> = TranslationClientEventMap[T];

/** `session.update` with the audio settings to change. */
export function sessionUpdate(
  session: TranslationSessionUpdateRequest,
  options?: EventOptions,
): E<'session.update'> {
  return event('session.update', { session }, options);
}

/** `session.input_audio_buffer.append` with base64 24 kHz PCM16 mono audio. */
export function inputAudioBufferAppend(
  audio: string,
  options?: EventOptions,
): E<'session.input_audio_buffer.append'> {
  return event('session.input_audio_buffer.append', { audio }, options);
}

/** `session.close`: flush, finish the translation, close. */
export function sessionClose(options?: EventOptions): E<'session.close'> {
  return event('session.close', {}, options);
}
