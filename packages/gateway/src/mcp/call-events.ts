/**
 * How the gateway's tool calls look to a client that sees them as MCP calls: the upstream's
 * function-call events rewritten into the GA protocol's `mcp_call` items and events, as
 * OpenAI's hosted MCP tools produce them. Pure functions; the middleware decides when to send.
 */
import {
  type ConversationItem,
  errorEvent,
  type McpCallError,
  type McpCallItem,
  newEventId,
  newItemId,
  type ServerEventMap,
} from '@realtime-gateway/protocol';
import type { McpFailure } from './connection.js';

/** A call as the client sees it. */
export interface CallView {
  readonly itemId: string;
  readonly responseId: string;
  readonly outputIndex: number;
  readonly serverLabel: string;
  readonly toolName: string;
  readonly arguments: string;
  readonly approvalRequestId: string | null;
  /** The output once the call succeeded. */
  readonly output: string | null;
  readonly error: McpFailure | null;
}

/** JSON-RPC "internal error", for protocol failures that carry no code of their own. */
const INTERNAL_ERROR = -32603;

/** A failure in the shape of an `mcp_call` item's `error`. */
export function mcpCallError(failure: McpFailure): McpCallError {
  switch (failure.type) {
    case 'tool_execution_error':
      return { type: 'tool_execution_error', message: failure.message };
    case 'http_error':
      return { type: 'http_error', code: failure.code ?? 500, message: failure.message };
    case 'protocol_error':
      return { type: 'protocol_error', code: failure.code ?? INTERNAL_ERROR, message: failure.message };
  }
}

/** The `mcp_call` item for a call, with its output or error once it has one. */
export function mcpCallItem(call: CallView): McpCallItem {
  return {
    type: 'mcp_call',
    id: call.itemId,
    server_label: call.serverLabel,
    name: call.toolName,
    arguments: call.arguments,
    ...(call.approvalRequestId === null ? {} : { approval_request_id: call.approvalRequestId }),
    ...(call.output === null ? {} : { output: call.output }),
    ...(call.error === null ? {} : { error: mcpCallError(call.error) }),
  };
}

export function outputItemAdded(call: CallView): ServerEventMap['response.output_item.added'] {
  return {
    type: 'response.output_item.added',
    event_id: newEventId(),
    response_id: call.responseId,
    output_index: call.outputIndex,
    item: mcpCallItem({ ...call, arguments: '', output: null, error: null }),
  };
}

export function outputItemDone(call: CallView): ServerEventMap['response.output_item.done'] {
  return {
    type: 'response.output_item.done',
    event_id: newEventId(),
    response_id: call.responseId,
    output_index: call.outputIndex,
    item: mcpCallItem(call),
  };
}

export function argumentsDelta(
  call: CallView,
  delta: string,
): ServerEventMap['response.mcp_call_arguments.delta'] {
  return {
    type: 'response.mcp_call_arguments.delta',
    event_id: newEventId(),
    response_id: call.responseId,
    item_id: call.itemId,
    output_index: call.outputIndex,
    delta,
  };
}

export function argumentsDone(call: CallView): ServerEventMap['response.mcp_call_arguments.done'] {
  return {
    type: 'response.mcp_call_arguments.done',
    event_id: newEventId(),
    response_id: call.responseId,
    item_id: call.itemId,
    output_index: call.outputIndex,
    arguments: call.arguments,
  };
}

type CallProgressType =
  | 'response.mcp_call.in_progress'
  | 'response.mcp_call.completed'
  | 'response.mcp_call.failed';

export function callProgress<T extends CallProgressType>(call: CallView, type: T): ServerEventMap[T] {
  return {
    type,
    event_id: newEventId(),
    output_index: call.outputIndex,
    item_id: call.itemId,
  } as ServerEventMap[T];
}

/** `conversation.item.added` or `.done` for an item the gateway shows the client. */
export function conversationItem(
  type: 'conversation.item.added' | 'conversation.item.done',
  item: ConversationItem,
  previousItemId: string | null = null,
): ServerEventMap['conversation.item.added'] {
  return {
    type,
    event_id: newEventId(),
    previous_item_id: previousItemId,
    item,
  } as ServerEventMap['conversation.item.added'];
}

/** The approval request the client answers with an `mcp_approval_response` item. */
export function approvalRequestItem(
  call: Pick<CallView, 'serverLabel' | 'toolName' | 'arguments'>,
): ConversationItem {
  return {
    type: 'mcp_approval_request',
    id: newItemId(),
    server_label: call.serverLabel,
    name: call.toolName,
    arguments: call.arguments,
  };
}

/** What the model gets as the function output: the tool's text, or the failure as JSON. */
export function functionOutput(outcome: {
  readonly output: string | null;
  readonly error: McpFailure | null;
}): string {
  if (outcome.error !== null) return JSON.stringify({ error: mcpCallError(outcome.error) });
  return outcome.output ?? '';
}

/** An `invalid_request_error` for the client, naming the field and the event that caused it. */
export function requestError(
  code: string,
  message: string,
  param: string | null,
  eventId: string | null,
): ServerEventMap['error'] {
  return errorEvent({ code, message, param, eventId });
}
