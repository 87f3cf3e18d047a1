import {
  anyObject,
  array,
  boolean,
  enumOf,
  type Infer,
  integer,
  literal,
  nullable,
  object,
  optional,
  string,
  taggedUnion,
} from '../schema/schema.js';

/** Lifecycle of a conversation item. */
export const ItemStatusSchema = enumOf(['completed', 'incomplete', 'in_progress']);
export type ItemStatus = Infer<typeof ItemStatusSchema>;

/** Fields every conversation item shares. `object` is always `realtime.item` when present. */
const itemHeader = {
  id: optional(string()),
  object: optional(literal('realtime.item')),
  status: optional(ItemStatusSchema),
} as const;

/** A content part of a system message. */
export const SystemContentSchema = object({
  type: optional(literal('input_text')),
  text: optional(string()),
});
export type SystemContent = Infer<typeof SystemContentSchema>;

/**
 * A content part of a user message: text, base64 audio (with its transcript, once known), or an
 * image as a data URL. Servers send `"transcript": null` before a transcript exists.
 */
export const UserContentSchema = object({
  type: optional(enumOf(['input_text', 'input_audio', 'input_image'])),
  text: optional(string()),
  audio: optional(string()),
  image_url: optional(string()),
  detail: optional(enumOf(['auto', 'low', 'high'])),
  transcript: optional(string()),
});
export type UserContent = Infer<typeof UserContentSchema>;

/**
 * A content part of an assistant message. The Beta names `text` and `audio` are still sent by
 * some servers and accepted unless the check is strict.
 */
export const AssistantContentSchema = object({
  type: optional(enumOf(['output_text', 'output_audio'], { legacy: ['text', 'audio'] })),
  text: optional(string()),
  audio: optional(string()),
  transcript: optional(string()),
});
export type AssistantContent = Infer<typeof AssistantContentSchema>;

export const SystemMessageSchema = object({
  ...itemHeader,
  type: literal('message'),
  role: literal('system'),
  content: array(SystemContentSchema),
});
export type SystemMessage = Infer<typeof SystemMessageSchema>;

export const UserMessageSchema = object({
  ...itemHeader,
  type: literal('message'),
  role: literal('user'),
  content: array(UserContentSchema),
});
export type UserMessage = Infer<typeof UserMessageSchema>;

export const AssistantMessageSchema = object({
  ...itemHeader,
  type: literal('message'),
  role: literal('assistant'),
  content: array(AssistantContentSchema),
});
export type AssistantMessage = Infer<typeof AssistantMessageSchema>;

/** A message item, by role. */
export const MessageItemSchema = taggedUnion('role', {
  system: SystemMessageSchema,
  user: UserMessageSchema,
  assistant: AssistantMessageSchema,
});
export type MessageItem = Infer<typeof MessageItemSchema>;

/** The model's call of a function tool. `arguments` is a JSON string. */
export const FunctionCallItemSchema = object({
  ...itemHeader,
  type: literal('function_call'),
  call_id: optional(string()),
  name: string(),
  arguments: string(),
});
export type FunctionCallItem = Infer<typeof FunctionCallItemSchema>;

/** The result of a function call, sent back for the model to use. */
export const FunctionCallOutputItemSchema = object({
  ...itemHeader,
  type: literal('function_call_output'),
  call_id: string(),
  output: string(),
});
export type FunctionCallOutputItem = Infer<typeof FunctionCallOutputItemSchema>;

/** The client's answer to an MCP approval request. */
export const McpApprovalResponseItemSchema = object({
  type: literal('mcp_approval_response'),
  id: string(),
  approval_request_id: string(),
  approve: boolean(),
  reason: optional(nullable(string())),
});
export type McpApprovalResponseItem = Infer<typeof McpApprovalResponseItemSchema>;

/** A tool an MCP server offers, as listed in an `mcp_list_tools` item. */
export const McpListedToolSchema = object({
  name: string(),
  description: optional(nullable(string())),
  input_schema: anyObject(),
  annotations: optional(nullable(anyObject())),
});
export type McpListedTool = Infer<typeof McpListedToolSchema>;

/** The tools an MCP server offered when the session listed them. */
export const McpListToolsItemSchema = object({
  type: literal('mcp_list_tools'),
  id: optional(string()),
  server_label: string(),
  tools: array(McpListedToolSchema),
});
export type McpListToolsItem = Infer<typeof McpListToolsItemSchema>;

/** Why an MCP call failed: the MCP protocol, the tool itself, or the HTTP transport. */
export const McpCallErrorSchema = taggedUnion('type', {
  protocol_error: object({ type: literal('protocol_error'), code: integer(), message: string() }),
  tool_execution_error: object({ type: literal('tool_execution_error'), message: string() }),
  http_error: object({ type: literal('http_error'), code: integer(), message: string() }),
});
export type McpCallError = Infer<typeof McpCallErrorSchema>;

/** A call of an MCP tool, with its output or error once finished. */
export const McpCallItemSchema = object({
  type: literal('mcp_call'),
  id: string(),
  server_label: string(),
  name: string(),
  arguments: string(),
  approval_request_id: optional(nullable(string())),
  output: optional(nullable(string())),
  error: optional(nullable(McpCallErrorSchema)),
});
export type McpCallItem = Infer<typeof McpCallItemSchema>;

/** The server asks the client to approve an MCP tool call. */
export const McpApprovalRequestItemSchema = object({
  type: literal('mcp_approval_request'),
  id: string(),
  server_label: string(),
  name: string(),
  arguments: string(),
});
export type McpApprovalRequestItem = Infer<typeof McpApprovalRequestItemSchema>;

const itemVariants = {
  message: MessageItemSchema,
  function_call: FunctionCallItemSchema,
  function_call_output: FunctionCallOutputItemSchema,
  mcp_approval_response: McpApprovalResponseItemSchema,
  mcp_list_tools: McpListToolsItemSchema,
  mcp_call: McpCallItemSchema,
  mcp_approval_request: McpApprovalRequestItemSchema,
} as const;

/** Any item of a conversation. */
export const ConversationItemSchema = taggedUnion('type', itemVariants);
export type ConversationItem = Infer<typeof ConversationItemSchema>;

/**
 * A reference to an existing conversation item, usable in a response's `input`. OpenAI's API
 * reference documents it for out-of-band responses; the spec's item union leaves it out.
 */
export const ItemReferenceSchema = object({ type: literal('item_reference'), id: string() });
export type ItemReference = Infer<typeof ItemReferenceSchema>;

/** An entry of `response.create`'s `input`: a new item or a reference to an existing one. */
export const ResponseInputItemSchema = taggedUnion('type', {
  ...itemVariants,
  item_reference: ItemReferenceSchema,
});
export type ResponseInputItem = Infer<typeof ResponseInputItemSchema>;
