/**
 * How the client sees the gateway's calls: with `mcp.callEvents: mcp`, as `mcp_call` items with
 * the GA MCP events, as OpenAI's hosted MCP tools show them; with `hidden`, not at all (the
 * upstream's function-call events for them are dropped, and so are their items in
 * `response.done`). The upstream's events for other items pass untouched either way.
 */
import type {
  ConversationItem,
  ResponseDoneEvent,
  ServerEvent,
  ServerEventMap,
} from '@realtime-gateway/protocol';
import { DROP, type Verdict } from '../session/middleware.js';
import {
  argumentsDelta,
  argumentsDone,
  callProgress,
  conversationItem,
  mcpCallItem,
  outputItemAdded,
  outputItemDone,
} from './call-events.js';
import { type Call, viewOf } from './calls.js';

type ItemEvent = ServerEventMap[
  | 'conversation.item.added'
  | 'conversation.item.created'
  | 'conversation.item.done'];

/**
 * @example
 * const options: ClientViewOptions = { callEvents: config.callEvents, sendClient: ctx.sendClient };
 */
export interface ClientViewOptions {
  readonly callEvents: 'mcp' | 'hidden';
  readonly sendClient: (event: ServerEvent) => void;
}

/** How a response's calls finish for the client. */
export interface FinishedResponse {
  /** The upstream's `response.done` for the response. */
  readonly done: ResponseDoneEvent;
  /** Its calls, in output order. */
  readonly calls: readonly Call[];
  /** The gateway cancelled the response (the client's `response.cancel`). */
  readonly cancelled: boolean;
}

/**
 * @example
 * const view = new ClientView({ callEvents: 'mcp', sendClient: ctx.sendClient });
 * return view.added(call); // the upstream's output_item.added, as an mcp_call item
 */
export class ClientView {
  private readonly visible: boolean;

  constructor(private readonly options: ClientViewOptions) {
    this.visible = options.callEvents === 'mcp';
  }

  /** The upstream's `response.output_item.added` for a call. */
  added(call: Call): Verdict<ServerEvent> {
    return this.visible ? { action: 'replace', event: outputItemAdded(viewOf(call)) } : DROP;
  }

  argumentsDelta(call: Call, delta: string): Verdict<ServerEvent> {
    return this.visible ? { action: 'replace', event: argumentsDelta(viewOf(call), delta) } : DROP;
  }

  argumentsDone(call: Call): Verdict<ServerEvent> {
    return this.visible ? { action: 'replace', event: argumentsDone(viewOf(call)) } : DROP;
  }

  /** The upstream's `conversation.item.*` for a call's item; its final form comes when the call finishes. */
  item(event: ItemEvent, call: Call): Verdict<ServerEvent> {
    if (event.type === 'conversation.item.done' || !this.visible) return DROP;
    return {
      action: 'replace',
      event: { ...event, item: mcpCallItem({ ...viewOf(call), output: null, error: null }) },
    };
  }

  /** Tells the client that a call is running, or how it ended. */
  progress(call: Call, phase: 'running' | 'settled'): void {
    if (!this.visible) return;
    const type =
      phase === 'running'
        ? 'response.mcp_call.in_progress'
        : call.error === null
          ? 'response.mcp_call.completed'
          : 'response.mcp_call.failed';
    this.options.sendClient(callProgress(viewOf(call), type));
  }

  /** Sends the calls' final events, then the upstream's `response.done` as the client sees it. */
  finish(response: FinishedResponse): void {
    const { done, calls, cancelled } = response;
    if (this.visible) {
      for (const call of calls) {
        this.options.sendClient(outputItemDone(viewOf(call)));
        this.options.sendClient(conversationItem('conversation.item.done', mcpCallItem(viewOf(call))));
      }
    }
    const byId = new Map(calls.map((call) => [call.itemId, call]));
    const output = (done.response.output ?? []).flatMap((item): ConversationItem[] => {
      const call = item.id == null ? undefined : byId.get(item.id);
      if (call === undefined) return [item];
      return this.visible ? [mcpCallItem(viewOf(call))] : [];
    });
    const shown = { ...done.response, output };
    if (cancelled && shown.status === 'completed') {
      this.options.sendClient({
        ...done,
        response: {
          ...shown,
          status: 'cancelled',
          status_details: { type: 'cancelled', reason: 'client_cancelled' },
        },
      });
      return;
    }
    this.options.sendClient({ ...done, response: shown });
  }
}
