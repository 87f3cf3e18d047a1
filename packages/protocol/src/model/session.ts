import {
  anyObject,
  anyOf,
  array,
  boolean,
  enumOf,
  extend,
  type Infer,
  integer,
  literal,
  nullable,
  number,
  object,
  optional,
  record,
  string,
  taggedUnion,
} from '../schema/schema.js';
import {
  AudioFormatSchema,
  AudioTranscriptionSchema,
  AudioTranscriptionStateSchema,
  NoiseReductionSchema,
  TurnDetectionSchema,
  VoiceSchema,
} from './audio.js';
import { ToolChoiceSchema, ToolSchema } from './tools.js';

/**
 * Realtime models the GA spec copy and the SDKs' realtime types (2026) name; `model` takes any
 * string. `gpt-realtime-2`, `gpt-realtime-2.1` and `gpt-realtime-2.1-mini` reason (`reasoning`,
 * `parallel_tool_calls`). There is no `gpt-realtime-2-mini`; `gpt-realtime-translate` is not
 * here because it serves `/v1/realtime/translations`, whose sessions are of another shape.
 */
export const REALTIME_MODELS = [
  'gpt-realtime',
  'gpt-realtime-1.5',
  'gpt-realtime-2',
  'gpt-realtime-2.1',
  'gpt-realtime-2.1-mini',
  'gpt-realtime-2025-08-28',
  'gpt-4o-realtime-preview',
  'gpt-4o-realtime-preview-2024-10-01',
  'gpt-4o-realtime-preview-2024-12-17',
  'gpt-4o-realtime-preview-2025-06-03',
  'gpt-4o-mini-realtime-preview',
  'gpt-4o-mini-realtime-preview-2024-12-17',
  'gpt-realtime-mini',
  'gpt-realtime-mini-2025-10-06',
  'gpt-realtime-mini-2025-12-15',
  'gpt-audio-1.5',
  'gpt-audio-mini',
  'gpt-audio-mini-2025-10-06',
  'gpt-audio-mini-2025-12-15',
] as const;

/** The realtime models that reason, and so take `reasoning` and `parallel_tool_calls`. */
export const REASONING_REALTIME_MODELS = [
  'gpt-realtime-2',
  'gpt-realtime-2.1',
  'gpt-realtime-2.1-mini',
] as const;

/** What the model produces: text, or audio with a transcript. */
export const ModalitySchema = enumOf(['text', 'audio']);
export type Modality = Infer<typeof ModalitySchema>;

/** A token budget: a positive integer or `"inf"`. */
export const MaxOutputTokensSchema = anyOf(integer(), literal('inf'));
export type MaxOutputTokens = Infer<typeof MaxOutputTokensSchema>;

/** Extra data a session can ask the server to include in events. */
export const IncludeSchema = array(enumOf(['item.input_audio_transcription.logprobs']));
export type Include = Infer<typeof IncludeSchema>;

/** Tracing: `"auto"`, explicit settings, or `null` for none. */
export const TracingSchema = nullable(
  anyOf(
    literal('auto'),
    object({
      workflow_name: optional(string()),
      group_id: optional(string()),
      metadata: optional(anyObject()),
    }),
  ),
);
export type Tracing = Infer<typeof TracingSchema>;

/**
 * How hard a reasoning model (`gpt-realtime-2` and later) thinks before it answers; the GA spec
 * copy's `RealtimeReasoningEffort` gives `low` as the default.
 */
export const ReasoningEffortSchema = enumOf(['minimal', 'low', 'medium', 'high', 'xhigh']);
export type ReasoningEffort = Infer<typeof ReasoningEffortSchema>;

/** Reasoning settings for models that reason. */
export const ReasoningSchema = object({ effort: optional(ReasoningEffortSchema) });
export type Reasoning = Infer<typeof ReasoningSchema>;

/**
 * What the server does when the conversation outgrows the context: `auto`, `disabled`, or
 * drop the oldest part so that `retention_ratio` of the context remains.
 */
export const TruncationSchema = anyOf(
  enumOf(['auto', 'disabled']),
  object({
    type: literal('retention_ratio'),
    retention_ratio: number({ min: 0, max: 1 }),
    token_limits: optional(object({ post_instructions: optional(integer({ min: 0 })) })),
  }),
);
export type Truncation = Infer<typeof TruncationSchema>;

const cacheBreakpoint = optional(object({ mode: literal('explicit') }));

/** A value for a stored prompt's variable: a string, or a text, image or file input. */
export const PromptVariableSchema = anyOf(
  string(),
  taggedUnion('type', {
    input_text: object({
      type: literal('input_text'),
      text: string(),
      prompt_cache_breakpoint: cacheBreakpoint,
    }),
    input_image: object({
      type: literal('input_image'),
      image_url: optional(nullable(string())),
      file_id: optional(nullable(string())),
      detail: enumOf(['low', 'high', 'auto', 'original']),
      prompt_cache_breakpoint: cacheBreakpoint,
    }),
    input_file: object({
      type: literal('input_file'),
      file_id: optional(nullable(string())),
      filename: optional(string()),
      file_data: optional(string()),
      file_url: optional(string()),
      detail: optional(enumOf(['auto', 'low', 'high'])),
      prompt_cache_breakpoint: cacheBreakpoint,
    }),
  }),
);
export type PromptVariable = Infer<typeof PromptVariableSchema>;

/** A reference to a stored prompt, with values for its variables; `null` for none. */
export const PromptSchema = nullable(
  object({
    id: string(),
    version: optional(nullable(string())),
    variables: optional(nullable(record(PromptVariableSchema))),
  }),
);
export type Prompt = Infer<typeof PromptSchema>;

/** Free-form string pairs attached to a response; `null` for none. */
export const MetadataSchema = nullable(record(string({ maxLength: 512 })));
export type Metadata = Infer<typeof MetadataSchema>;

/** The spec gives noise reduction a default of null, and the API takes null to turn it off. */
const noiseReduction = optional(nullable(NoiseReductionSchema));

const audioInputConfig = object({
  format: optional(AudioFormatSchema),
  // OpenAI's API reference: "can be set to null to turn off once on"; the spec's schema has no null.
  transcription: optional(nullable(AudioTranscriptionSchema)),
  noise_reduction: noiseReduction,
  turn_detection: optional(TurnDetectionSchema),
});

const audioInputState = object({
  format: optional(AudioFormatSchema),
  transcription: optional(AudioTranscriptionStateSchema),
  noise_reduction: noiseReduction,
  turn_detection: optional(TurnDetectionSchema),
});

const speed = optional(number({ min: 0.25, max: 1.5 }));

const sessionCommon = {
  output_modalities: optional(array(ModalitySchema)),
  /** Any model name; the spec lists the known ones but accepts every string. */
  model: optional(string()),
  instructions: optional(string()),
  include: optional(IncludeSchema),
  tracing: optional(TracingSchema),
  tools: optional(array(ToolSchema)),
  tool_choice: optional(ToolChoiceSchema),
  reasoning: optional(ReasoningSchema),
  // The GA spec copy has this in the request only; per openai-node and openai-python realtime
  // types (2026) `session.created`/`session.updated` carry the request shape, so the server
  // reports it back too. Only reasoning models (`gpt-realtime-2` and later) honour it.
  parallel_tool_calls: optional(boolean()),
  max_output_tokens: optional(MaxOutputTokensSchema),
  truncation: optional(TruncationSchema),
  prompt: optional(PromptSchema),
} as const;

/** A realtime (speech-to-speech or text) session's settings, as a client sends them. */
export const RealtimeSessionConfigSchema = object({
  type: literal('realtime'),
  ...sessionCommon,
  audio: optional(
    object({
      input: optional(audioInputConfig),
      output: optional(object({ format: optional(AudioFormatSchema), voice: optional(VoiceSchema), speed })),
    }),
  ),
});
export type RealtimeSessionConfig = Infer<typeof RealtimeSessionConfigSchema>;

/** A transcription-only session's settings, as a client sends them. */
export const TranscriptionSessionConfigSchema = object({
  type: literal('transcription'),
  audio: optional(object({ input: optional(audioInputConfig) })),
  include: optional(IncludeSchema),
});
export type TranscriptionSessionConfig = Infer<typeof TranscriptionSessionConfigSchema>;

/** The `session` of `session.update` (and of client-secret requests). */
export const SessionConfigSchema = taggedUnion('type', {
  realtime: RealtimeSessionConfigSchema,
  transcription: TranscriptionSessionConfigSchema,
});
export type SessionConfig = Infer<typeof SessionConfigSchema>;

/** A realtime session as the server reports it in `session.created` and `session.updated`. */
export const RealtimeSessionSchema = object({
  type: literal('realtime'),
  id: string(),
  object: literal('realtime.session'),
  expires_at: optional(integer()),
  ...sessionCommon,
  audio: optional(
    object({
      input: optional(audioInputState),
      // The spec copy's session response names voices only; per openai-node and openai-python
      // realtime types (2026) the session events carry the request's voice, a custom voice's
      // `{ id }` included.
      output: optional(object({ format: optional(AudioFormatSchema), voice: optional(VoiceSchema), speed })),
    }),
  ),
});
export type RealtimeSession = Infer<typeof RealtimeSessionSchema>;

/**
 * A transcription session's turn detection as the server reports it: server VAD's settings,
 * with `type` a free string. Shared by `session.updated` and `transcription_session.updated`.
 */
export const TranscriptionTurnDetectionStateSchema = object({
  type: optional(string()),
  threshold: optional(number()),
  prefix_padding_ms: optional(integer()),
  silence_duration_ms: optional(integer()),
});
export type TranscriptionTurnDetectionState = Infer<typeof TranscriptionTurnDetectionStateSchema>;

/** A transcription session as the server reports it. */
export const TranscriptionSessionSchema = object({
  type: literal('transcription'),
  id: string(),
  object: string(),
  expires_at: optional(integer()),
  include: optional(IncludeSchema),
  audio: optional(
    object({
      input: optional(
        extend(audioInputState, {
          turn_detection: optional(nullable(TranscriptionTurnDetectionStateSchema)),
        }),
      ),
    }),
  ),
});
export type TranscriptionSession = Infer<typeof TranscriptionSessionSchema>;

/** The `session` of `session.created` and `session.updated`. */
export const SessionSchema = taggedUnion('type', {
  realtime: RealtimeSessionSchema,
  transcription: TranscriptionSessionSchema,
});
export type Session = Infer<typeof SessionSchema>;
