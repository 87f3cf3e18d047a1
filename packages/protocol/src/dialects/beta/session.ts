/**
 * The beta realtime session (`OpenAI-Beta: realtime=v1`): flat where GA nests. The fields are
 * those of openai-node's beta `SessionCreateParams` and `session.update` types, and of the
 * type it keeps for the beta session object in GA (`RealtimeSession`, "for the beta
 * interface"); `prompt` and `truncation` come from the spec's beta session request, which
 * added them last.
 */
import { AudioTranscriptionSchema, NoiseReductionSchema, VoiceSchema } from '../../model/audio.js';
import {
  IncludeSchema,
  MaxOutputTokensSchema,
  ModalitySchema,
  PromptSchema,
  TracingSchema,
  TruncationSchema,
} from '../../model/session.js';
import { FunctionToolSchema } from '../../model/tools.js';
import {
  anyOf,
  array,
  enumOf,
  extend,
  type Infer,
  integer,
  literal,
  nullable,
  number,
  object,
  optional,
  string,
} from '../../schema/schema.js';
import { BetaAudioFormatSchema } from './formats.js';
import { BetaClientSecretConfigSchema, BetaClientSecretSchema, BetaTurnDetectionSchema } from './shared.js';

/** How the beta model chose tools: a mode, or one function by name. */
export const BetaToolChoiceSchema = anyOf(
  enumOf(['none', 'auto', 'required']),
  object({ type: literal('function'), name: string() }),
);
export type BetaToolChoice = Infer<typeof BetaToolChoiceSchema>;

const sessionFields = {
  /** `["text"]`, or `["text", "audio"]` for audio with a transcript (the default). */
  modalities: optional(array(ModalitySchema)),
  model: optional(string()),
  instructions: optional(string()),
  voice: optional(VoiceSchema),
  input_audio_format: optional(BetaAudioFormatSchema),
  output_audio_format: optional(BetaAudioFormatSchema),
  /** `null` turns transcription off. */
  input_audio_transcription: optional(nullable(AudioTranscriptionSchema)),
  turn_detection: optional(BetaTurnDetectionSchema),
  /** `null` turns noise reduction off. */
  input_audio_noise_reduction: optional(nullable(NoiseReductionSchema)),
  /** Beta tools are functions only. */
  tools: optional(array(FunctionToolSchema)),
  tool_choice: optional(BetaToolChoiceSchema),
  /** Sampling temperature, 0.6 to 1.2 in beta. GA has none. */
  temperature: optional(number()),
  max_response_output_tokens: optional(MaxOutputTokensSchema),
  speed: optional(number({ min: 0.25, max: 1.5 })),
  tracing: optional(TracingSchema),
  include: optional(IncludeSchema),
  prompt: optional(PromptSchema),
  truncation: optional(TruncationSchema),
} as const;

/**
 * A beta session's settings as a beta client sends them: the `session` of a beta
 * `session.update`, and the body of `POST /v1/realtime/sessions` (which may also say when the
 * minted secret expires, in `client_secret`).
 */
export const BetaSessionConfigSchema = object({
  ...sessionFields,
  client_secret: optional(BetaClientSecretConfigSchema),
});
export type BetaSessionConfig = Infer<typeof BetaSessionConfigSchema>;

/** A beta session as a beta server reports it in `session.created` and `session.updated`. */
export const BetaSessionSchema = object({
  ...sessionFields,
  id: optional(string()),
  object: optional(literal('realtime.session')),
  /** When the session expires, in Unix seconds. */
  expires_at: optional(integer()),
});
export type BetaSession = Infer<typeof BetaSessionSchema>;

/** The answer to a beta `POST /v1/realtime/sessions`: the session and its ephemeral key. */
export const BetaSessionCreateResponseSchema = extend(BetaSessionSchema, {
  client_secret: BetaClientSecretSchema,
});
export type BetaSessionCreateResponse = Infer<typeof BetaSessionCreateResponseSchema>;
