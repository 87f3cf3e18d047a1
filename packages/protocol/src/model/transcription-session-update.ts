/**
 * The two events of the GA protocol that still speak of a transcription session in flat,
 * beta-style fields: `transcription_session.update` (client) and `transcription_session.updated`
 * (server). The GA spec copy (`shared/spec/openai-realtime.schema.json`, OpenAPI 2.3.0) has no
 * event schemas for them, only the session shapes they carry
 * (`RealtimeTranscriptionSessionCreateRequest` and `…CreateResponse`); the events themselves
 * follow openai-node's GA realtime types (`TranscriptionSessionUpdate` and
 * `TranscriptionSessionUpdatedEvent` in `resources/realtime/realtime.ts`, 2026) and OpenAI's API
 * reference, which describe the same fields.
 */
import { BetaAudioFormatSchema } from '../dialects/beta/formats.js';
import {
  array,
  enumOf,
  type Infer,
  integer,
  nullable,
  number,
  object,
  optional,
  string,
} from '../schema/schema.js';
import { AudioTranscriptionSchema, AudioTranscriptionStateSchema, NoiseReductionSchema } from './audio.js';
import { IncludeSchema, ModalitySchema, TranscriptionTurnDetectionStateSchema } from './session.js';

/**
 * The `session` of `transcription_session.update`: the input settings of a transcription
 * session, with the audio format named as beta named it (`pcm16`, `g711_ulaw`, `g711_alaw`).
 * Both `turn_detection` and `input_audio_noise_reduction` are objects in the spec copy and the
 * SDK, yet their descriptions say "can be set to `null` to turn off", so `null` is accepted.
 *
 * @example
 * checkValue(TranscriptionSessionUpdateConfigSchema, { input_audio_format: 'pcm16', turn_detection: null }, true); // undefined
 */
export const TranscriptionSessionUpdateConfigSchema = object({
  include: optional(IncludeSchema),
  input_audio_format: optional(BetaAudioFormatSchema),
  input_audio_noise_reduction: optional(nullable(NoiseReductionSchema)),
  input_audio_transcription: optional(AudioTranscriptionSchema),
  turn_detection: optional(
    nullable(
      object({
        /** Only server VAD is offered for transcription sessions. */
        type: optional(enumOf(['server_vad'])),
        threshold: optional(number()),
        prefix_padding_ms: optional(integer()),
        silence_duration_ms: optional(integer()),
      }),
    ),
  ),
});
export type TranscriptionSessionUpdateConfig = Infer<typeof TranscriptionSessionUpdateConfigSchema>;

/**
 * The `session` of `transcription_session.updated`: the effective settings. The spec copy and
 * the SDK mark `client_secret` required, while both describe it as "only present when the
 * session is created on the server via REST API" and "not present when a session is updated via
 * the WebSocket API", which is where this event travels; it is optional here. `turn_detection`
 * is `null` when it is off, as for the update.
 *
 * @example
 * checkValue(TranscriptionSessionUpdatedSessionSchema, { input_audio_format: 'pcm16', modalities: ['text'] }, true); // undefined
 */
export const TranscriptionSessionUpdatedSessionSchema = object({
  client_secret: optional(object({ value: string(), expires_at: integer() })),
  /** A free string in the spec copy, though the names are beta's three. */
  input_audio_format: optional(string()),
  input_audio_transcription: optional(AudioTranscriptionStateSchema),
  modalities: optional(array(ModalitySchema)),
  turn_detection: optional(nullable(TranscriptionTurnDetectionStateSchema)),
});
export type TranscriptionSessionUpdatedSession = Infer<typeof TranscriptionSessionUpdatedSessionSchema>;
