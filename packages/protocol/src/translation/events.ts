/**
 * The events of a translation session (`/v1/realtime/translations`): three the client sends,
 * seven the server sends. `error` is the GA event itself (the SDK's `RealtimeErrorEvent`); the
 * rest are the translation session's own, after openai-node's `RealtimeTranslation…Event`
 * types (the GA spec copy lacks them; see `./session.ts`).
 *
 * Audio goes in as `session.input_audio_buffer.append` (24 kHz PCM16 mono, base64), and comes
 * back as `session.output_audio.delta` frames of 200 ms, with transcript deltas of the source
 * (when transcription is on) and of the translation. `elapsed_ms` on the deltas aligns them
 * with the input stream; several deltas may share one.
 */
import { clientEvent } from '../events/client-events.js';
import { ErrorEventSchema, serverEvent } from '../events/server-events.js';
import { PCM_SAMPLE_RATE } from '../model/audio.js';
import { type Infer, integer, literal, nullable, optional, string } from '../schema/schema.js';
import { TranslationSessionSchema, TranslationSessionUpdateRequestSchema } from './session.js';

/** Alignment with the input stream, in steps of 200 ms; the SDK lets a server send null. */
const elapsedMs = optional(nullable(integer({ min: 0 })));

/** Changes the target language, the source transcription or noise reduction. */
export const TranslationSessionUpdateEventSchema = clientEvent('session.update', {
  session: TranslationSessionUpdateRequestSchema,
});

/**
 * Appends base64 24 kHz PCM16 mono audio. The server translates it in 200 ms frames, buffering
 * shorter appends and splitting longer ones.
 */
export const TranslationInputAudioBufferAppendEventSchema = clientEvent('session.input_audio_buffer.append', {
  audio: string(),
});

/** Asks the server to flush what it holds, send the rest of the translation, and close. */
export const TranslationSessionCloseEventSchema = clientEvent('session.close', {});

/** The first event of every translation session: the session as it starts. */
export const TranslationSessionCreatedEventSchema = serverEvent('session.created', {
  session: TranslationSessionSchema,
});

/** The answer to `session.update`: the whole session as it now is. */
export const TranslationSessionUpdatedEventSchema = serverEvent('session.updated', {
  session: TranslationSessionSchema,
});

/** The session is closed; the server closes the connection after it. */
export const TranslationSessionClosedEventSchema = serverEvent('session.closed', {});

/** Source-language transcript, append-only: joined, the deltas are the transcript. */
export const TranslationInputTranscriptDeltaEventSchema = serverEvent('session.input_transcript.delta', {
  delta: string(),
  elapsed_ms: elapsedMs,
});

/** Translated transcript, append-only. */
export const TranslationOutputTranscriptDeltaEventSchema = serverEvent('session.output_transcript.delta', {
  delta: string(),
  elapsed_ms: elapsedMs,
});

/** One frame (200 ms) of translated audio, base64 PCM16. */
export const TranslationOutputAudioDeltaEventSchema = serverEvent('session.output_audio.delta', {
  delta: string(),
  elapsed_ms: elapsedMs,
  /** 24000 (the SDKs' documented default). */
  sample_rate: optional(integer({ min: 1 })),
  /** 1 (the SDKs' documented default). */
  channels: optional(integer({ min: 1 })),
  format: optional(literal('pcm16')),
});

/** Every translation client event's schema, by its type string. */
export const TRANSLATION_CLIENT_EVENT_SCHEMAS = {
  'session.update': TranslationSessionUpdateEventSchema,
  'session.input_audio_buffer.append': TranslationInputAudioBufferAppendEventSchema,
  'session.close': TranslationSessionCloseEventSchema,
} as const;

/** Every translation server event's schema, by its type string. */
export const TRANSLATION_SERVER_EVENT_SCHEMAS = {
  error: ErrorEventSchema,
  'session.created': TranslationSessionCreatedEventSchema,
  'session.updated': TranslationSessionUpdatedEventSchema,
  'session.closed': TranslationSessionClosedEventSchema,
  'session.input_transcript.delta': TranslationInputTranscriptDeltaEventSchema,
  'session.output_transcript.delta': TranslationOutputTranscriptDeltaEventSchema,
  'session.output_audio.delta': TranslationOutputAudioDeltaEventSchema,
} as const;

/** Maps each translation client event type to its event type. */
export type TranslationClientEventMap = {
  [K in keyof typeof TRANSLATION_CLIENT_EVENT_SCHEMAS]: Infer<(typeof TRANSLATION_CLIENT_EVENT_SCHEMAS)[K]>;
};

/** Maps each translation server event type to its event type. */
export type TranslationServerEventMap = {
  [K in keyof typeof TRANSLATION_SERVER_EVENT_SCHEMAS]: Infer<(typeof TRANSLATION_SERVER_EVENT_SCHEMAS)[K]>;
};

export type TranslationClientEventType = keyof TranslationClientEventMap;
export type TranslationServerEventType = keyof TranslationServerEventMap;

/** Any event a translation client sends, narrowed by `type`. */
export type TranslationClientEvent = TranslationClientEventMap[TranslationClientEventType];

/** Any event a translation server sends, narrowed by `type`. */
export type TranslationServerEvent = TranslationServerEventMap[TranslationServerEventType];

/** Every translation client event type. */
export const TRANSLATION_CLIENT_EVENT_TYPES = Object.keys(
  TRANSLATION_CLIENT_EVENT_SCHEMAS,
) as TranslationClientEventType[];

/** Every translation server event type. */
export const TRANSLATION_SERVER_EVENT_TYPES = Object.keys(
  TRANSLATION_SERVER_EVENT_SCHEMAS,
) as TranslationServerEventType[];

/** The type of the translation audio append, the frame a translation session mostly carries. */
export const TRANSLATION_APPEND_TYPE = 'session.input_audio_buffer.append';

/** The audio of `session.output_audio.delta`: PCM16, 24 kHz, mono, in 200 ms frames. */
export const TRANSLATION_AUDIO = {
  format: 'pcm16',
  sampleRate: PCM_SAMPLE_RATE,
  channels: 1,
  frameMs: 200,
} as const;
