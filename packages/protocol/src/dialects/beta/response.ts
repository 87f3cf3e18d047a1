/**
 * The beta response: the resource `response.created` and `response.done` carry, and the
 * settings of one response in `response.create`. Fields are those of openai-node's beta
 * `RealtimeResponse` and `ResponseCreateEvent.Response`: flat `voice`, `output_audio_format`
 * and `modalities` where GA nests under `audio.output` and says `output_modalities`, a
 * `temperature` GA dropped, and `max_response_output_tokens` in the request.
 */
import { VoiceNameSchema, VoiceSchema } from '../../model/audio.js';
import {
  ResponseStatusDetailsSchema,
  ResponseStatusSchema,
  ResponseUsageSchema,
} from '../../model/response.js';
import { MaxOutputTokensSchema, MetadataSchema, ModalitySchema } from '../../model/session.js';
import { FunctionToolSchema } from '../../model/tools.js';
import { array, type Infer, literal, number, object, optional, string } from '../../schema/schema.js';
import { BetaAudioFormatSchema } from './formats.js';
import { BetaConversationItemSchema, BetaResponseInputItemSchema } from './items.js';
import { BetaToolChoiceSchema } from './session.js';

/** A beta response as the server reports it. */
export const BetaResponseSchema = object({
  id: optional(string()),
  object: optional(literal('realtime.response')),
  status: optional(ResponseStatusSchema),
  status_details: optional(ResponseStatusDetailsSchema),
  output: optional(array(BetaConversationItemSchema)),
  metadata: optional(MetadataSchema),
  usage: optional(ResponseUsageSchema),
  conversation_id: optional(string()),
  voice: optional(VoiceNameSchema),
  modalities: optional(array(ModalitySchema)),
  output_audio_format: optional(BetaAudioFormatSchema),
  temperature: optional(number()),
  max_output_tokens: optional(MaxOutputTokensSchema),
});
export type BetaResponse = Infer<typeof BetaResponseSchema>;

/**
 * Settings for one beta response. `conversation` is `auto`, `none` (out of band) or an id;
 * `input` replaces the conversation as the model's context for this response.
 */
export const BetaResponseCreateParamsSchema = object({
  conversation: optional(string()),
  input: optional(array(BetaResponseInputItemSchema)),
  instructions: optional(string()),
  max_response_output_tokens: optional(MaxOutputTokensSchema),
  metadata: optional(MetadataSchema),
  modalities: optional(array(ModalitySchema)),
  output_audio_format: optional(BetaAudioFormatSchema),
  /** 0.6 to 1.2 in beta; GA has no sampling temperature. */
  temperature: optional(number()),
  tool_choice: optional(BetaToolChoiceSchema),
  tools: optional(array(FunctionToolSchema)),
  voice: optional(VoiceSchema),
});
export type BetaResponseCreateParams = Infer<typeof BetaResponseCreateParamsSchema>;
