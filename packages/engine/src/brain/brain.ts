/**
 * A brain decides what the assistant says: given the conversation, the instructions and the
 * tools, it streams text and at most one batch of function calls. The engine turns that into
 * the protocol's events, audio included; brains know nothing of the wire.
 */
import type { ConversationItem, FunctionTool } from '@realtime-gateway/protocol';

export interface BrainInput {
  readonly instructions: string;
  /** The context of the response: the conversation, or a response's own `input`. */
  readonly items: readonly ConversationItem[];
  readonly tools: readonly FunctionTool[];
  /**
   * Whether several function calls may come in one answer (the session's `parallel_tool_calls`).
   * The engine keeps only the first when false; a brain that can ask its backend for one call
   * should.
   */
  readonly parallelToolCalls: boolean;
  /** Aborted when the response is cancelled. */
  readonly signal: AbortSignal;
}

export type BrainOutput =
  | { readonly type: 'text'; readonly delta: string }
  | { readonly type: 'function_call'; readonly name: string; readonly arguments: string };

/**
 * A failure a brain reports, in the shape of OpenAI's errors: the response ends `failed` with
 * `status_details.error` `{ type, code, message }`, the client also gets an `error` event, and
 * the engine logs it. Anything else a brain throws is reported as a generic `server_error`.
 *
 * @example
 * throw new BrainError('server_error', 'backend_error', 'The chat backend answered 500.');
 */
export class BrainError extends Error {
  override readonly name = 'BrainError';
  constructor(
    /** `server_error` when the fault is the server's, `invalid_request_error` when it is the client's. */
    readonly type: 'server_error' | 'invalid_request_error',
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Brain {
  readonly name: string;
  respond(input: BrainInput): AsyncIterable<BrainOutput>;
}

/** The text of an item as a brain reads it: message text, audio transcripts, function outputs. */
export function itemText(item: ConversationItem): string {
  if (item.type === 'message') {
    return item.content
      .map((part) => ('text' in part && part.text) || ('transcript' in part && part.transcript) || '')
      .join(' ')
      .trim();
  }
  if (item.type === 'function_call_output') return item.output;
  return '';
}
