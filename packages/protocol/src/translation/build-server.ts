/**
 * Builders for the seven translation server events, each `(fields, options?)` with a fresh
 * `event_id` unless one is given; and the session object they carry.
 *
 * @example
 * send(translationServer.sessionCreated({ session: translationServer.session({ model: 'gpt-realtime-translate' }) }));
 * send(translationServer.outputAudioDelta({ delta: base64, elapsed_ms: 200 })); // sample_rate, channels, format filled in
 */
import { type EventOptions, event } from '../build/event.js';
import { newSessionId } from '../ids.js';
import { TRANSLATION_AUDIO, type TranslationServerEventMap } from './events.js';
import { TRANSLATION_SESSION_TYPE, type TranslationAudio, type TranslationSession } from './session.js';

export type { EventOptions } from '../build/event.js';

type E<T extends keyof TranslationServerEventMap> = TranslationServerEventMap[T];

/** The fields of a translation server event, without `type` and `event_id`. */
export type TranslationServerEventFields<T extends keyof TranslationServerEventMap> = Omit<
  E<T>,
  'type' | 'event_id'
>;

/** OpenAI's realtime sessions last at most an hour. */
const SESSION_LIFETIME_SECONDS = 60 * 60;

/**
 * A translation session object: a fresh `sess_…` id, an hour to live from `now` (Unix
 * milliseconds), and the audio settings given (none by default).
 *
 * @example
 * translationServer.session({ model: 'gpt-realtime-translate', audio: { output: { language: 'es' } } });
 */
export function session(fields: {
  readonly model: string;
  readonly audio?: TranslationAudio;
  readonly id?: string;
  readonly now?: number;
}): TranslationSession {
  return {
    id: fields.id ?? newSessionId(),
    type: TRANSLATION_SESSION_TYPE,
    model: fields.model,
    audio: fields.audio ?? {},
    expires_at: Math.floor((fields.now ?? Date.now()) / 1000) + SESSION_LIFETIME_SECONDS,
  };
}

/** `error` */
export function error(fields: TranslationServerEventFields<'error'>, options?: EventOptions): E<'error'> {
  return event('error', fields, options);
}

/** `session.created` */
export function sessionCreated(
  fields: TranslationServerEventFields<'session.created'>,
  options?: EventOptions,
): E<'session.created'> {
  return event('session.created', fields, options);
}

/** `session.updated` */
export function sessionUpdated(
  fields: TranslationServerEventFields<'session.updated'>,
  options?: EventOptions,
): E<'session.updated'> {
  return event('session.updated', fields, options);
}

/** `session.closed` */
export function sessionClosed(options?: EventOptions): E<'session.closed'> {
  return event('session.closed', {}, options);
}

/** `session.input_transcript.delta` */
export function inputTranscriptDelta(
  fields: TranslationServerEventFields<'session.input_transcript.delta'>,
  options?: EventOptions,
): E<'session.input_transcript.delta'> {
  return event('session.input_transcript.delta', fields, options);
}

/** `session.output_transcript.delta` */
export function outputTranscriptDelta(
  fields: TranslationServerEventFields<'session.output_transcript.delta'>,
  options?: EventOptions,
): E<'session.output_transcript.delta'> {
  return event('session.output_transcript.delta', fields, options);
}

/**
 * `session.output_audio.delta`, with `sample_rate`, `channels` and `format` of PCM16 24 kHz
 * mono unless given.
 */
export function outputAudioDelta(
  fields: Pick<E<'session.output_audio.delta'>, 'delta'> &
    Partial<TranslationServerEventFields<'session.output_audio.delta'>>,
  options?: EventOptions,
): E<'session.output_audio.delta'> {
  return event(
    'session.output_audio.delta',
    {
      sample_rate: TRANSLATION_AUDIO.sampleRate,
      channels: TRANSLATION_AUDIO.channels,
      format: TRANSLATION_AUDIO.format,
      ...fields,
    },
    options,
  );
}
