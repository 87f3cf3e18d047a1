/**
 * Calls as the MCP middleware records them, for tests of its parts without a session: a call
 * is opened the way the middleware opens one, from the upstream's `output_item.added`, on a
 * server connection that is never used.
 */
import { newItemId } from '@realtime-gateway/protocol';
import type { Call, CallBook } from '../../src/mcp/calls.js';
import { McpConnection } from '../../src/mcp/connection.js';
import type { ResolvedTool } from '../../src/mcp/session-tools.js';
import { stdioServerSpec } from './mcp-http-server.js';

export interface CallSpec {
  readonly responseId: string;
  readonly outputIndex?: number;
  readonly needsApproval?: boolean;
  readonly callId?: string;
}

const connection = new McpConnection({
  label: 'crm',
  transport: stdioServerSpec('crm'),
  allowedTools: null,
  callTimeoutMs: 5000,
  connectTimeoutMs: 5000,
});

function resolved(needsApproval: boolean): ResolvedTool {
  return {
    ref: { server: 'crm', tool: 'lookup' },
    source: { label: 'crm', origin: 'client', connection, declaration: null, tools: [], release: () => {} },
    tool: { name: 'lookup', inputSchema: { type: 'object' } },
    needsApproval,
  };
}

/** Opens a call of `crm.lookup` in `book`. */
export function openCall(book: CallBook, spec: CallSpec): Call {
  const outputIndex = spec.outputIndex ?? 0;
  return book.open(
    {
      type: 'response.output_item.added',
      event_id: 'event_added',
      response_id: spec.responseId,
      output_index: outputIndex,
      item: {
        type: 'function_call',
        id: newItemId(),
        call_id: spec.callId ?? `call_${spec.responseId}_${outputIndex}`,
        name: 'crm__lookup',
        arguments: '',
        status: 'in_progress',
      },
    },
    resolved(spec.needsApproval ?? false),
  );
}
