import {
  anyOf,
  array,
  boolean,
  enumOf,
  type Infer,
  integer,
  literal,
  nullable,
  number,
  object,
  optional,
  string,
  taggedUnion,
} from '../schema/schema.js';

/** The only sample rate the API accepts for `audio/pcm`. */
export const PCM_SAMPLE_RATE = 24000;

/**
 * An audio format: PCM16 little-endian mono at 24 kHz, or G.711 μ-law / A-law at 8 kHz.
 * The spec leaves `type` optional in each variant; the API needs it to tell them apart, so it
 * is required here.
 */
export const AudioFormatSchema = taggedUnion('type', {
  'audio/pcm': object({ type: literal('audio/pcm'), rate: optional(literal(PCM_SAMPLE_RATE)) }),
  'audio/pcmu': object({ type: literal('audio/pcmu') }),
  'audio/pcma': object({ type: literal('audio/pcma') }),
});
export type AudioFormat = Infer<typeof AudioFormatSchema>;

/** Voices every realtime model offers; any other string names a newer or custom voice. */
export const VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'sage',
  'shimmer',
  'verse',
  'marin',
  'cedar',
] as const;

/** A voice by name, as the session object reports it. */
export const VoiceNameSchema = string();
export type VoiceName = (typeof VOICES)[number] | (string & {});

/** A voice by name, or a custom voice by id (`{ "id": "voice_…" }`), made from audio samples. */
export const VoiceSchema = anyOf(string(), object({ id: string() }));
export type Voice = VoiceName | { id: string };

/** Server-side voice activity detection by energy. */
export const ServerVadSchema = object({
  type: literal('server_vad'),
  threshold: optional(number()),
  prefix_padding_ms: optional(integer()),
  silence_duration_ms: optional(integer()),
  create_response: optional(boolean()),
  interrupt_response: optional(boolean()),
  /** Nullable in the spec: `null` turns the idle timeout off. */
  idle_timeout_ms: optional(nullable(integer({ min: 5000, max: 30000 }))),
});
export type ServerVad = Infer<typeof ServerVadSchema>;

/** Voice activity detection by a model that judges whether the user has finished speaking. */
export const SemanticVadSchema = object({
  type: literal('semantic_vad'),
  eagerness: optional(enumOf(['low', 'medium', 'high', 'auto'])),
  create_response: optional(boolean()),
  interrupt_response: optional(boolean()),
});
export type SemanticVad = Infer<typeof SemanticVadSchema>;

/** Turn detection; `null` turns it off, and the client commits the input buffer itself. */
export const TurnDetectionSchema = nullable(
  taggedUnion('type', { server_vad: ServerVadSchema, semantic_vad: SemanticVadSchema }),
);
export type TurnDetection = Infer<typeof TurnDetectionSchema>;

/** Input noise reduction; `null` (or absence) turns it off. */
export const NoiseReductionSchema = object({ type: optional(enumOf(['near_field', 'far_field'])) });
export type NoiseReduction = Infer<typeof NoiseReductionSchema>;

/** Transcription models named by the spec; any other string is accepted too. */
export const TRANSCRIPTION_MODELS = [
  'whisper-1',
  'gpt-transcribe',
  'gpt-live-transcribe',
  'gpt-4o-mini-transcribe',
  'gpt-4o-mini-transcribe-2025-12-15',
  'gpt-4o-transcribe',
  'gpt-4o-transcribe-diarize',
  'gpt-realtime-whisper',
] as const;

/**
 * How long a streaming transcription model waits before it emits text; more waiting, more
 * accuracy. Only `gpt-realtime-whisper` takes it in GA realtime sessions.
 */
export const TranscriptionDelaySchema = enumOf(['minimal', 'low', 'medium', 'high', 'xhigh']);
export type TranscriptionDelay = Infer<typeof TranscriptionDelaySchema>;

/** Hints for `gpt-transcribe` and `gpt-live-transcribe`: expected languages and literal terms. */
const transcriptionHints = {
  languages: optional(array(string(), { minItems: 1 })),
  keywords: optional(array(string())),
} as const;

/** Input audio transcription settings, as a client sends them. */
export const AudioTranscriptionSchema = object({
  model: optional(string()),
  language: optional(string()),
  ...transcriptionHints,
  prompt: optional(string()),
  delay: optional(TranscriptionDelaySchema),
});
export type AudioTranscription = Infer<typeof AudioTranscriptionSchema>;

/** Input audio transcription settings, as the session object reports them. */
export const AudioTranscriptionStateSchema = object({
  model: optional(string()),
  language: optional(string()),
  languages: transcriptionHints.languages,
  // Not in the GA spec copy's session response (`AudioTranscriptionResponse` has no keywords or
  // delay); per openai-node and openai-python realtime types (2026) the session events carry the
  // request's transcription settings, these two included, and a server echoes what it was sent.
  keywords: transcriptionHints.keywords,
  prompt: optional(string()),
  delay: optional(TranscriptionDelaySchema),
});
export type AudioTranscriptionState = Infer<typeof AudioTranscriptionStateSchema>;
