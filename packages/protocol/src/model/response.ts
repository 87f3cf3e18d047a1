import {
  array,
  boolean,
  enumOf,
  type Infer,
  integer,
  literal,
  number,
  object,
  optional,
  string,
  taggedUnion,
} from '../schema/schema.js';
import { AudioFormatSchema, VoiceNameSchema, VoiceSchema } from './audio.js';
import { ConversationItemSchema, ResponseInputItemSchema } from './items.js';
import {
  MaxOutputTokensSchema,
  MetadataSchema,
  ModalitySchema,
  PromptSchema,
  ReasoningSchema,
} from './session.js';
import { ToolChoiceSchema, ToolSchema } from './tools.js';

/** Lifecycle of a response. */
export const ResponseStatusSchema = enumOf(['completed', 'cancelled', 'failed', 'incomplete', 'in_progress']);
export type ResponseStatus = Infer<typeof ResponseStatusSchema>;

/** Why a response ended as it did. */
export const ResponseStatusDetailsSchema = object({
  type: optional(enumOf(['completed', 'cancelled', 'failed', 'incomplete'])),
  reason: optional(enumOf(['turn_detected', 'client_cancelled', 'max_output_tokens', 'content_filter'])),
  // The spec names type and code; `message` says what went wrong, as an `error` event's does.
  error: optional(
    object({ type: optional(string()), code: optional(string()), message: optional(string()) }),
  ),
});
export type ResponseStatusDetails = Infer<typeof ResponseStatusDetailsSchema>;

const tokenCount = optional(integer({ min: 0 }));

/** Tokens a response used, by modality, with the cached part of the input. */
export const ResponseUsageSchema = object({
  total_tokens: tokenCount,
  input_tokens: tokenCount,
  output_tokens: tokenCount,
  input_token_details: optional(
    object({
      cached_tokens: tokenCount,
      text_tokens: tokenCount,
      image_tokens: tokenCount,
      audio_tokens: tokenCount,
      cached_tokens_details: optional(
        object({ text_tokens: tokenCount, image_tokens: tokenCount, audio_tokens: tokenCount }),
      ),
    }),
  ),
  output_token_details: optional(object({ text_tokens: tokenCount, audio_tokens: tokenCount })),
});
export type ResponseUsage = Infer<typeof ResponseUsageSchema>;

/** A response: what `response.created` announces and `response.done` completes. */
export const ResponseSchema = object({
  id: optional(string()),
  object: optional(literal('realtime.response')),
  status: optional(ResponseStatusSchema),
  status_details: optional(ResponseStatusDetailsSchema),
  output: optional(array(ConversationItemSchema)),
  metadata: optional(MetadataSchema),
  audio: optional(
    object({
      output: optional(object({ format: optional(AudioFormatSchema), voice: optional(VoiceNameSchema) })),
    }),
  ),
  usage: optional(ResponseUsageSchema),
  conversation_id: optional(string()),
  output_modalities: optional(array(ModalitySchema)),
  max_output_tokens: optional(MaxOutputTokensSchema),
});
export type Response = Infer<typeof ResponseSchema>;

/**
 * Settings for one response. `conversation` is `auto` (the default conversation), `none` (an
 * out-of-band response whose output is not added to it) or a conversation id.
 */
export const ResponseCreateParamsSchema = object({
  output_modalities: optional(array(ModalitySchema)),
  instructions: optional(string()),
  audio: optional(
    object({
      output: optional(object({ format: optional(AudioFormatSchema), voice: optional(VoiceSchema) })),
    }),
  ),
  tools: optional(array(ToolSchema)),
  tool_choice: optional(ToolChoiceSchema),
  parallel_tool_calls: optional(boolean()),
  reasoning: optional(ReasoningSchema),
  max_output_tokens: optional(MaxOutputTokensSchema),
  conversation: optional(string()),
  metadata: optional(MetadataSchema),
  prompt: optional(PromptSchema),
  input: optional(array(ResponseInputItemSchema)),
});
export type ResponseCreateParams = Infer<typeof ResponseCreateParamsSchema>;

/** One rate limit's state, as `rate_limits.updated` reports it. */
export const RateLimitSchema = object({
  name: optional(enumOf(['requests', 'tokens'])),
  limit: optional(integer()),
  remaining: optional(integer()),
  reset_seconds: optional(number()),
});
export type RateLimit = Infer<typeof RateLimitSchema>;

/** What an input transcription cost: tokens, or seconds of audio for duration-billed models. */
export const TranscriptionUsageSchema = taggedUnion('type', {
  tokens: object({
    type: literal('tokens'),
    input_tokens: integer({ min: 0 }),
    input_token_details: optional(object({ text_tokens: tokenCount, audio_tokens: tokenCount })),
    output_tokens: integer({ min: 0 }),
    total_tokens: integer({ min: 0 }),
  }),
  duration: object({ type: literal('duration'), seconds: number({ min: 0 }) }),
});
export type TranscriptionUsage = Infer<typeof TranscriptionUsageSchema>;

/** One token's log probability in a transcription. */
export const LogProbSchema = object({ token: string(), logprob: number(), bytes: array(integer()) });
export type LogProb = Infer<typeof LogProbSchema>;
