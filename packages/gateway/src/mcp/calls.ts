/**
 * The calls of one session, by item and by response. A response's calls are finished together,
 * once the upstream's `response.done` has arrived and every call has settled, because the
 * follow-up answers them all at once.
 */
import {
  type ConversationItem,
  type FunctionCallItem,
  newItemId,
  type ResponseDoneEvent,
  type ServerEventMap,
} from '@realtime-gateway/protocol';
import type { CallView } from './call-events.js';
import { type CallEvent, type CallState, transition } from './call-state.js';
import type { McpFailure } from './connection.js';
import type { ResolvedTool, ToolSource } from './session-tools.js';

/** A call of one of the gateway's tools. */
export interface Call {
  readonly itemId: string;
  readonly callId: string;
  readonly responseId: string;
  readonly outputIndex: number;
  readonly source: ToolSource;
  readonly toolName: string;
  readonly needsApproval: boolean;
  arguments: string;
  state: CallState;
  approvalRequestId: string | null;
  output: string | null;
  error: McpFailure | null;
  /** Aborts the tool call when the response or the session ends first. */
  readonly controller: AbortController;
}

/** The calls of one upstream response. */
export interface ResponseWork {
  readonly responseId: string;
  readonly calls: Call[];
  /** The upstream's `response.done`, held back from the client until the calls finish. */
  upstreamDone: ResponseDoneEvent | null;
  /** No follow-up: the response was cancelled, failed or cut short. */
  cancelled: boolean;
  finished: boolean;
}

/**
 * Moves a call on by an event; false when the event does not apply in the call's state.
 *
 * @example
 * if (!advance(call, { type: 'approve' })) refuseAnswer();
 */
export function advance(call: Call, event: CallEvent): boolean {
  const next = transition(call.state, event);
  if (next === null) return false;
  call.state = next;
  return true;
}

/**
 * The arguments of a call as the MCP server takes them, or null when they are not a JSON
 * object (an empty string is taken as no arguments, as models send for tools without any).
 *
 * @example
 * callArguments('{"id":7}'); // { id: 7 }
 */
export function callArguments(text: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
    return parsed as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * A call as the client's view renders it.
 *
 * @example
 * outputItemAdded(viewOf(call));
 */
export function viewOf(call: Call): CallView {
  return {
    itemId: call.itemId,
    responseId: call.responseId,
    outputIndex: call.outputIndex,
    serverLabel: call.source.label,
    toolName: call.toolName,
    arguments: call.arguments,
    approvalRequestId: call.approvalRequestId,
    output: call.output,
    error: call.error,
  };
}

function isFunctionCall(item: ConversationItem): item is FunctionCallItem {
  return item.type === 'function_call';
}

const NO_CALLS: ReadonlyMap<string, Call> = new Map();
const NO_RESPONSES: ReadonlyMap<string, ResponseWork> = new Map();

/**
 * The session's calls, until their response has finished.
 *
 * @example
 * const book = new CallBook();
 * const call = book.open(event, resolved);
 * // … once every call of the response has settled:
 * const finished = book.finish(book.response(call.responseId)!);
 */
export class CallBook {
  // Made at the first call: most sessions never have one.
  private callsMap: Map<string, Call> | null = null;
  private responsesMap: Map<string, ResponseWork> | null = null;

  private get calls(): ReadonlyMap<string, Call> {
    return this.callsMap ?? NO_CALLS;
  }

  private get responses(): ReadonlyMap<string, ResponseWork> {
    return this.responsesMap ?? NO_RESPONSES;
  }

  /** Records a call the upstream started streaming, in its response's work. */
  open(
    event: ServerEventMap['response.output_item.added'] & { item: FunctionCallItem },
    resolved: ResolvedTool,
  ): Call {
    const item = event.item;
    const itemId = item.id ?? newItemId();
    const call: Call = {
      itemId,
      callId: item.call_id ?? itemId,
      responseId: event.response_id,
      outputIndex: event.output_index,
      source: resolved.source,
      toolName: resolved.tool.name,
      needsApproval: resolved.needsApproval,
      arguments: '',
      state: 'streaming',
      approvalRequestId: null,
      output: null,
      error: null,
      controller: new AbortController(),
    };
    if (this.callsMap === null) this.callsMap = new Map();
    this.callsMap.set(itemId, call);
    let work = this.responses.get(event.response_id);
    if (work === undefined) {
      work = {
        responseId: event.response_id,
        calls: [],
        upstreamDone: null,
        cancelled: false,
        finished: false,
      };
      if (this.responsesMap === null) this.responsesMap = new Map();
      this.responsesMap.set(event.response_id, work);
    }
    work.calls.push(call);
    return call;
  }

  byItemId(itemId: string): Call | null {
    return this.calls.get(itemId) ?? null;
  }

  /** The call an upstream item is, when it is a function call of the gateway's. */
  forItem(item: ConversationItem): Call | null {
    if (!isFunctionCall(item) || item.id == null) return null;
    return this.byItemId(item.id);
  }

  response(responseId: string): ResponseWork | null {
    return this.responses.get(responseId) ?? null;
  }

  /** Responses whose calls are not finished yet. */
  unfinished(): ResponseWork[] {
    return [...this.responses.values()].filter((work) => !work.finished);
  }

  /** Every call still tracked, for aborting them when the session ends. */
  all(): IterableIterator<Call> {
    return this.calls.values();
  }

  /** Whether the gateway will send a `response.create` of its own once calls finish. */
  followUpPending(): boolean {
    for (const work of this.responses.values()) if (!work.cancelled && !work.finished) return true;
    return false;
  }

  /**
   * Finishes a response whose upstream part is done and whose calls have all settled: forgets
   * it and returns its calls in output order; null while it is not ready (or already finished).
   */
  finish(work: ResponseWork): Call[] | null {
    if (work.finished || work.upstreamDone === null) return null;
    if (work.calls.some((call) => call.state !== 'settled')) return null;
    work.finished = true;
    this.responsesMap?.delete(work.responseId);
    const calls = [...work.calls].sort((a, b) => a.outputIndex - b.outputIndex);
    for (const call of calls) this.callsMap?.delete(call.itemId);
    return calls;
  }
}
