import {
  anyObject,
  anyOf,
  array,
  boolean,
  enumOf,
  type Infer,
  literal,
  nullable,
  object,
  optional,
  record,
  string,
  taggedUnion,
} from '../schema/schema.js';

/** A function the model may call; the client (or the gateway) runs it. */
export const FunctionToolSchema = object({
  /** The spec leaves `type` optional here; in a `tools` array it tells the tool kinds apart. */
  type: optional(literal('function')),
  name: optional(string()),
  description: optional(string()),
  /** A JSON Schema object for the arguments. */
  parameters: optional(anyObject()),
});
export type FunctionTool = Infer<typeof FunctionToolSchema>;

/** Selects MCP tools by name or by their read-only hint. */
export const McpToolFilterSchema = object({
  tool_names: optional(array(string())),
  read_only: optional(boolean()),
});
export type McpToolFilter = Infer<typeof McpToolFilterSchema>;

/** Connectors OpenAI hosts in place of a server URL. */
export const MCP_CONNECTORS = [
  'connector_dropbox',
  'connector_gmail',
  'connector_googlecalendar',
  'connector_googledrive',
  'connector_microsoftteams',
  'connector_outlookcalendar',
  'connector_outlookemail',
  'connector_sharepoint',
] as const;

/** The form of a Secure MCP Tunnel's id, as the GA spec copy's `MCPTool.tunnel_id` gives it. */
export const MCP_TUNNEL_ID = /^tunnel_[a-z0-9]{32}$/;

/** Who may invoke an MCP server's tools: the model directly, or code the model runs. */
export const MCP_ALLOWED_CALLERS = ['direct', 'programmatic'] as const;

/** A remote MCP server whose tools the model may call. */
export const McpToolSchema = object({
  type: literal('mcp'),
  server_label: string(),
  server_url: optional(string()),
  connector_id: optional(enumOf(MCP_CONNECTORS)),
  /**
   * A Secure MCP Tunnel in place of a server URL (the spec copy gives its form, `tunnel_` and 32
   * lowercase letters or digits); one of `server_url`, `connector_id` or `tunnel_id` names the
   * server, which the schema language cannot require.
   */
  tunnel_id: optional(string({ pattern: MCP_TUNNEL_ID })),
  /** An OAuth access token for the server; a secret, redacted by the log renderer. */
  authorization: optional(string()),
  server_description: optional(string()),
  /** HTTP headers for the server; secrets, redacted by the log renderer. */
  headers: optional(nullable(record(string()))),
  allowed_tools: optional(nullable(anyOf(array(string()), McpToolFilterSchema))),
  // The spec copy and openai-python's realtime tool types (2026) have `allowed_callers` on MCP
  // tools only; a realtime function tool has no such field.
  allowed_callers: optional(nullable(array(enumOf(MCP_ALLOWED_CALLERS), { minItems: 1 }))),
  require_approval: optional(
    nullable(
      anyOf(
        enumOf(['always', 'never']),
        object({ always: optional(McpToolFilterSchema), never: optional(McpToolFilterSchema) }),
      ),
    ),
  ),
  defer_loading: optional(boolean()),
});
export type McpTool = Infer<typeof McpToolSchema>;

/** A tool in a session's or a response's `tools`. The spec makes a function tool's `type` optional. */
export const ToolSchema = taggedUnion(
  'type',
  { function: FunctionToolSchema, mcp: McpToolSchema },
  { untagged: 'function' },
);
export type Tool = Infer<typeof ToolSchema>;

/** How the model chooses tools: a mode, one function, or one MCP server (optionally one tool). */
export const ToolChoiceSchema = anyOf(
  enumOf(['none', 'auto', 'required']),
  taggedUnion('type', {
    function: object({ type: literal('function'), name: string() }),
    mcp: object({ type: literal('mcp'), server_label: string(), name: optional(nullable(string())) }),
  }),
);
export type ToolChoice = Infer<typeof ToolChoiceSchema>;
