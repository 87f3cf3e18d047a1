/**
 * What a client's `type: "mcp"` tool declaration says about each of its server's tools: whether
 * it is offered (`allowed_tools`), whether a call needs the client's approval
 * (`require_approval`), and how a tool is presented to the model and to the client.
 */
import type {
  FunctionTool,
  McpListedTool,
  McpTool as McpToolDeclaration,
  McpToolFilter,
} from '@realtime-gateway/protocol';
import type { McpTool } from './connection.js';

function readOnly(tool: McpTool): boolean {
  return tool.annotations?.readOnlyHint === true;
}

/**
 * Whether a tool matches a filter: every criterion the filter sets must hold (a name listed in
 * `tool_names`, the read-only hint equal to `read_only`).
 *
 * @example
 * filterMatches({ tool_names: ['search'] }, { name: 'search', inputSchema: {} }); // true
 */
export function filterMatches(filter: McpToolFilter, tool: McpTool): boolean {
  if (filter.tool_names != null && !filter.tool_names.includes(tool.name)) return false;
  if (filter.read_only != null && readOnly(tool) !== filter.read_only) return false;
  return true;
}

/** Whether the declaration's `allowed_tools` offers a tool (all tools when it sets none). */
export function isAllowed(declaration: McpToolDeclaration, tool: McpTool): boolean {
  const allowed = declaration.allowed_tools;
  if (allowed === undefined || allowed === null) return true;
  if (Array.isArray(allowed)) return allowed.includes(tool.name);
  return filterMatches(allowed as McpToolFilter, tool);
}

/**
 * Whether calling a tool needs the client's approval. As with OpenAI's hosted MCP tools, a
 * declaration that says nothing requires approval for every call; `never` filters win over
 * `always` filters, and a tool neither filter matches requires approval.
 */
export function needsApproval(declaration: McpToolDeclaration, tool: McpTool): boolean {
  const policy = declaration.require_approval;
  if (policy === undefined || policy === null || policy === 'always') return true;
  if (policy === 'never') return false;
  if (policy.never != null && filterMatches(policy.never, tool)) return false;
  return true;
}

/** The function tool the model sees for an MCP tool. */
export function functionTool(functionName: string, tool: McpTool): FunctionTool {
  return {
    type: 'function',
    name: functionName,
    description: tool.description ?? `Tool ${tool.name}`,
    parameters: tool.inputSchema as FunctionTool['parameters'],
  };
}

/** A tool as an `mcp_list_tools` item lists it. */
export function listedTool(tool: McpTool): McpListedTool {
  return {
    name: tool.name,
    ...(tool.description === undefined ? {} : { description: tool.description }),
    input_schema: tool.inputSchema as McpListedTool['input_schema'],
    ...(tool.annotations === undefined
      ? {}
      : { annotations: tool.annotations as McpListedTool['annotations'] }),
  };
}

/** The headers to send to a client-declared server: its `headers` plus `authorization` as a bearer token. */
export function declaredHeaders(declaration: McpToolDeclaration): Record<string, string> {
  const headers: Record<string, string> = { ...(declaration.headers ?? {}) };
  if (declaration.authorization !== undefined) headers.Authorization = `Bearer ${declaration.authorization}`;
  return headers;
}
