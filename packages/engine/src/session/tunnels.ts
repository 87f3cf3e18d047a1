/**
 * MCP tools reached through a Secure MCP Tunnel (`tunnel_id`, added to GA in 2026; in the GA spec
 * copy and per openai-node and openai-python realtime types). A tunnel runs from a customer's
 * network to OpenAI's; an engine that runs offline has no end of it to dial, so it refuses the
 * tool when it is configured instead of failing later when the model would list its tools.
 */
import type { Tool } from '@realtime-gateway/protocol';
import type { UpdateRefusal } from './config.js';

/**
 * The refusal of the first tool that names a tunnel, its parameter under `at` (`session.tools`
 * or `response.tools`); null when no tool does.
 *
 * @example
 * tunnelRefusal([{ type: 'mcp', server_label: 'crm', tunnel_id: 'tunnel_…' }], 'session.tools')?.param;
 * // 'session.tools[0].tunnel_id'
 */
export function tunnelRefusal(tools: readonly Tool[] | null | undefined, at: string): UpdateRefusal | null {
  const index = (tools ?? []).findIndex((tool) => tool.type === 'mcp' && typeof tool.tunnel_id === 'string');
  if (index === -1) return null;
  return {
    code: 'invalid_value',
    message:
      'MCP servers behind a Secure MCP Tunnel (tunnel_id) cannot be reached from this offline engine; give a server_url instead.',
    param: `${at}[${index}].tunnel_id`,
  };
}
