/**
 * The translation session model (`gpt-realtime-translate`, `/v1/realtime/translations`): the
 * session a server reports, the settings a client may change, and what creating a client
 * secret for one takes and gives.
 *
 * The GA spec copy this package is checked against (`shared/spec/openai-realtime.schema.json`)
 * has no translation sessions. These shapes follow openai-node's types
 * (`RealtimeTranslationSession`, `RealtimeTranslationSessionCreateRequest`,
 * `RealtimeTranslationSessionUpdateRequest`, `RealtimeTranslationClientSecretCreateRequest` and
 * `…Response` in `resources/realtime/realtime.d.ts`) and OpenAI's API reference (translation
 * client and server events), which agree.
 */
import {
  enumOf,
  type Infer,
  integer,
  literal,
  nullable,
  object,
  optional,
  string,
} from '../schema/schema.js';

/** The session type of every translation session. */
export const TRANSLATION_SESSION_TYPE = 'translation';

/** The translation model OpenAI serves. */
export const TRANSLATION_MODEL = 'gpt-realtime-translate';

/**
 * Input noise reduction. Unlike a realtime session's, its `type` is required: the SDK's
 * `Input.NoiseReduction` has no optional field. `null` turns it off.
 */
export const TranslationNoiseReductionSchema = object({ type: enumOf(['near_field', 'far_field']) });
export type TranslationNoiseReduction = Infer<typeof TranslationNoiseReductionSchema>;

/**
 * Source-language transcription: with it the server sends `session.input_transcript.delta`
 * events; the translation itself runs from the audio either way. `null` turns it off.
 */
export const TranslationTranscriptionSchema = object({ model: string() });
export type TranslationTranscription = Infer<typeof TranslationTranscriptionSchema>;

/** What a translation session hears: noise reduction and the optional source transcript. */
export const TranslationAudioInputSchema = object({
  noise_reduction: optional(nullable(TranslationNoiseReductionSchema)),
  transcription: optional(nullable(TranslationTranscriptionSchema)),
});
export type TranslationAudioInput = Infer<typeof TranslationAudioInputSchema>;

/** What a translation session says: the target language of its audio and transcript. */
export const TranslationAudioOutputSchema = object({ language: optional(string()) });
export type TranslationAudioOutput = Infer<typeof TranslationAudioOutputSchema>;

/** Input and output audio settings, the only settings a translation session has. */
export const TranslationAudioSchema = object({
  input: optional(TranslationAudioInputSchema),
  output: optional(TranslationAudioOutputSchema),
});
export type TranslationAudio = Infer<typeof TranslationAudioSchema>;

/**
 * A translation session as the server reports it in `session.created` and `session.updated`.
 *
 * @example
 * const session: TranslationSession = { id: 'sess_1', type: 'translation', model: 'gpt-realtime-translate', expires_at: 1767225600, audio: { output: { language: 'es' } } };
 */
export const TranslationSessionSchema = object({
  id: string(),
  type: literal(TRANSLATION_SESSION_TYPE),
  model: string(),
  audio: TranslationAudioSchema,
  /** Unix seconds. */
  expires_at: integer({ min: 0 }),
});
export type TranslationSession = Infer<typeof TranslationSessionSchema>;

/**
 * What `session.update` may change: the audio settings only. The type and the model are fixed
 * when the session is created.
 */
export const TranslationSessionUpdateRequestSchema = object({ audio: optional(TranslationAudioSchema) });
export type TranslationSessionUpdateRequest = Infer<typeof TranslationSessionUpdateRequestSchema>;

/** A translation session's configuration at creation (a client secret's `session`). */
export const TranslationSessionCreateRequestSchema = object({
  model: string(),
  audio: optional(TranslationAudioSchema),
});
export type TranslationSessionCreateRequest = Infer<typeof TranslationSessionCreateRequestSchema>;

/** OpenAI's bounds for a client secret's lifetime (`expires_after.seconds`). */
export const CLIENT_SECRET_TTL_SECONDS = { min: 10, max: 7200 } as const;

/**
 * The body of `POST /v1/realtime/translations/client_secrets`.
 *
 * @example
 * const body: TranslationClientSecretRequest = { session: { model: 'gpt-realtime-translate', audio: { output: { language: 'fr' } } }, expires_after: { anchor: 'created_at', seconds: 600 } };
 */
export const TranslationClientSecretRequestSchema = object({
  session: TranslationSessionCreateRequestSchema,
  expires_after: optional(
    object({
      anchor: optional(literal('created_at')),
      seconds: optional(integer(CLIENT_SECRET_TTL_SECONDS)),
    }),
  ),
});
export type TranslationClientSecretRequest = Infer<typeof TranslationClientSecretRequestSchema>;

/** The answer of `POST /v1/realtime/translations/client_secrets`: the secret and its session. */
export const TranslationClientSecretResponseSchema = object({
  value: string(),
  /** Unix seconds. */
  expires_at: integer({ min: 0 }),
  session: TranslationSessionSchema,
});
export type TranslationClientSecretResponse = Infer<typeof TranslationClientSecretResponseSchema>;
