/**
 * Approvals of calls to client-declared tools whose declaration requires them: the client gets
 * an `mcp_approval_request` item and answers with an `mcp_approval_response` item, as with
 * OpenAI's hosted MCP tools. A request the client leaves unanswered for
 * `mcp.approvalTimeoutMs` expires, so a call cannot hold its response open forever.
 */
import {
  type ConversationItem,
  type McpApprovalResponseItem,
  newItemId,
  type ServerEvent,
} from '@realtime-gateway/protocol';
import { approvalRequestItem, conversationItem, requestError } from './call-events.js';
import { transition } from './call-state.js';
import type { Call } from './calls.js';
import type { McpFailure } from './connection.js';

/** Runs `task` after `ms`; returns what cancels it. */
export type Schedule = (task: () => void, ms: number) => () => void;

const timers: Schedule = (task, ms) => {
  const timer = setTimeout(task, ms);
  // A pending approval is no reason for the process to stay up.
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * @example
 * const options: ApprovalsOptions = { timeoutMs: config.approvalTimeoutMs, sendClient: ctx.sendClient, onExpired: settle };
 */
export interface ApprovalsOptions {
  readonly timeoutMs: number;
  readonly sendClient: (event: ServerEvent) => void;
  /** Called when a request expires unanswered; the call is to be settled with `failure`. */
  readonly onExpired: (call: Call, failure: McpFailure) => void;
  /** How expiry is timed (default: timers that do not keep the process alive). */
  readonly schedule?: Schedule;
}

/** The client's answer to an approval request, once it is one the gateway accepts. */
export type Decision =
  | { readonly call: Call; readonly approved: true }
  | { readonly call: Call; readonly approved: false; readonly failure: McpFailure };

/**
 * @example
 * const approvals = new Approvals({ timeoutMs: 300_000, sendClient, onExpired: (call, failure) => settle(call, failure) });
 * approvals.request(call);
 * // … the client's mcp_approval_response item:
 * const decision = approvals.answer(item, eventId);
 */
export class Approvals {
  /** Made at the first request: most sessions never have one. */
  private pending: Map<string, { call: Call; cancelExpiry: () => void }> | null = null;
  private readonly schedule: Schedule;

  constructor(private readonly options: ApprovalsOptions) {
    this.schedule = options.schedule ?? timers;
  }

  /** Asks the client to approve a call (in `awaiting_approval`) and starts its expiry. */
  request(call: Call): void {
    const request = approvalRequestItem({
      serverLabel: call.source.label,
      toolName: call.toolName,
      arguments: call.arguments,
    });
    const requestId = request.id as string;
    call.approvalRequestId = requestId;
    this.options.sendClient(conversationItem('conversation.item.added', request));
    this.options.sendClient(conversationItem('conversation.item.done', request));
    const cancelExpiry = this.schedule(() => {
      this.pending?.delete(requestId);
      this.options.onExpired(call, {
        type: 'tool_execution_error',
        message: 'The approval request expired.',
      });
    }, this.options.timeoutMs);
    if (this.pending === null) this.pending = new Map();
    this.pending.set(requestId, { call, cancelExpiry });
  }

  /**
   * Takes the client's answer: the decision, with the answer shown to the client as its item;
   * or null, with an `error` for the client, when no such request is pending.
   */
  answer(item: McpApprovalResponseItem, eventId: string | null): Decision | null {
    const entry = this.pending?.get(item.approval_request_id);
    if (
      entry === undefined ||
      transition(entry.call.state, { type: item.approve ? 'approve' : 'reject' }) === null
    ) {
      this.options.sendClient(
        requestError(
          'invalid_value',
          `No MCP approval request '${item.approval_request_id}' is pending.`,
          'item.approval_request_id',
          eventId,
        ),
      );
      return null;
    }
    this.release(entry.call);
    const shown: ConversationItem = { ...item, id: item.id ?? newItemId() };
    this.options.sendClient(conversationItem('conversation.item.added', shown));
    this.options.sendClient(conversationItem('conversation.item.done', shown));
    if (item.approve) return { call: entry.call, approved: true };
    const reason = item.reason ? `: ${item.reason}` : '';
    return {
      call: entry.call,
      approved: false,
      failure: { type: 'tool_execution_error', message: `The user rejected the call${reason}.` },
    };
  }

  /** Forgets a call's request, if it has one: it was answered, or the call settled otherwise. */
  release(call: Call): void {
    if (call.approvalRequestId === null) return;
    const entry = this.pending?.get(call.approvalRequestId);
    if (entry?.call !== call) return;
    entry.cancelExpiry();
    this.pending?.delete(call.approvalRequestId);
  }

  /** Cancels every expiry: the session ended. */
  close(): void {
    if (this.pending === null) return;
    for (const entry of this.pending.values()) entry.cancelExpiry();
    this.pending.clear();
  }
}
