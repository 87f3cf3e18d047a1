/**
 * The beta transcription session: `POST /v1/realtime/transcription_sessions` and the
 * `transcription_session.update` event, with the fields of openai-node's and openai-python's
 * beta transcription session types and the spec's beta transcription session schemas.
 */
import { AudioTranscriptionSchema, NoiseReductionSchema } from '../../model/audio.js';
import { IncludeSchema, ModalitySchema } from '../../model/session.js';
import {
  array,
  extend,
  type Infer,
  integer,
  nullable,
  object,
  optional,
  string,
} from '../../schema/schema.js';
import { BetaAudioFormatSchema } from './formats.js';
import { BetaClientSecretConfigSchema, BetaClientSecretSchema, BetaTurnDetectionSchema } from './shared.js';

const transcriptionFields = {
  input_audio_format: optional(BetaAudioFormatSchema),
  /** `null` turns transcription off. */
  input_audio_transcription: optional(nullable(AudioTranscriptionSchema)),
  turn_detection: optional(BetaTurnDetectionSchema),
  /** `null` turns noise reduction off. */
  input_audio_noise_reduction: optional(nullable(NoiseReductionSchema)),
  include: optional(IncludeSchema),
  /** Beta accepted output modalities here, though a transcription session produces only text. */
  modalities: optional(array(ModalitySchema)),
} as const;

/**
 * A beta transcription session's settings as a beta client sends them: the `session` of
 * `transcription_session.update`, and the body of `POST /v1/realtime/transcription_sessions`.
 */
export const BetaTranscriptionSessionConfigSchema = object({
  ...transcriptionFields,
  client_secret: optional(BetaClientSecretConfigSchema),
});
export type BetaTranscriptionSessionConfig = Infer<typeof BetaTranscriptionSessionConfigSchema>;

/** A beta transcription session as a beta server reports it (`transcription_session.updated`). */
export const BetaTranscriptionSessionSchema = object({
  ...transcriptionFields,
  id: optional(string()),
  /** `realtime.transcription_session`. */
  object: optional(string()),
  expires_at: optional(integer()),
});
export type BetaTranscriptionSession = Infer<typeof BetaTranscriptionSessionSchema>;

/** The answer to a beta `POST /v1/realtime/transcription_sessions`: the session and its key. */
export const BetaTranscriptionSessionCreateResponseSchema = extend(BetaTranscriptionSessionSchema, {
  client_secret: BetaClientSecretSchema,
});
export type BetaTranscriptionSessionCreateResponse = Infer<
  typeof BetaTranscriptionSessionCreateResponseSchema
>;
