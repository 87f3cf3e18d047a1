/**
 * The beta conversation item: messages, function calls and their outputs, each with
 * `object: 'realtime.item'`. The shapes follow openai-node's beta `ConversationItem`,
 * `ConversationItemContent` and `ConversationItemWithReference` types, told apart here by
 * `type` and `role` as GA's are, so a bad field is reported inside the item it belongs to.
 * Beta content names differ from GA's for the assistant (`text` and `audio`, where GA says
 * `output_text` and `output_audio`), and a beta user message may hold an `item_reference`.
 */
import {
  FunctionCallItemSchema,
  FunctionCallOutputItemSchema,
  ItemReferenceSchema,
  ItemStatusSchema,
  SystemContentSchema,
} from '../../model/items.js';
import {
  array,
  enumOf,
  type Infer,
  literal,
  object,
  optional,
  string,
  taggedUnion,
} from '../../schema/schema.js';

/** Fields every beta item shares; the same as GA's. */
const itemHeader = {
  id: optional(string()),
  object: optional(literal('realtime.item')),
  /** The SDK lists `completed` and `incomplete`; servers also send `in_progress`. */
  status: optional(ItemStatusSchema),
} as const;

/**
 * A content part of a beta user message: text, base64 audio (with its transcript once known),
 * or a reference by `id` to an earlier item, which only `response.create`'s `input` uses.
 */
export const BetaUserContentSchema = object({
  type: optional(enumOf(['input_text', 'input_audio', 'item_reference'])),
  text: optional(string()),
  audio: optional(string()),
  transcript: optional(string()),
  id: optional(string()),
});
export type BetaUserContent = Infer<typeof BetaUserContentSchema>;

/** A content part of a beta assistant message: `text`, or `audio` with its transcript. */
export const BetaAssistantContentSchema = object({
  type: optional(enumOf(['text', 'audio'])),
  text: optional(string()),
  audio: optional(string()),
  transcript: optional(string()),
});
export type BetaAssistantContent = Infer<typeof BetaAssistantContentSchema>;

const message = { ...itemHeader, type: literal('message') } as const;

/** A beta message, by role. System content is `input_text` in both dialects. */
export const BetaMessageItemSchema = taggedUnion('role', {
  system: object({ ...message, role: literal('system'), content: array(SystemContentSchema) }),
  user: object({ ...message, role: literal('user'), content: array(BetaUserContentSchema) }),
  assistant: object({ ...message, role: literal('assistant'), content: array(BetaAssistantContentSchema) }),
});
export type BetaMessageItem = Infer<typeof BetaMessageItemSchema>;

/** Function calls and their outputs have the same fields in both dialects. */
const betaItemVariants = {
  message: BetaMessageItemSchema,
  function_call: FunctionCallItemSchema,
  function_call_output: FunctionCallOutputItemSchema,
} as const;

/** Any item of a beta conversation. Beta has no MCP items. */
export const BetaConversationItemSchema = taggedUnion('type', betaItemVariants);
export type BetaConversationItem = Infer<typeof BetaConversationItemSchema>;

/** An entry of a beta `response.create`'s `input`: a new item, or a reference to one by id. */
export const BetaResponseInputItemSchema = taggedUnion('type', {
  ...betaItemVariants,
  item_reference: ItemReferenceSchema,
});
export type BetaResponseInputItem = Infer<typeof BetaResponseInputItemSchema>;
