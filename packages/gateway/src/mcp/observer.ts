/**
 * What the MCP middleware reports about the calls it runs, for metrics.
 */
import type { McpFailure } from './connection.js';

/**
 * Told about every tool call once it settles.
 *
 * @example
 * const observer: McpObserver = { toolCall: (server, tool, outcome) => console.log(server, tool, outcome) };
 */
export interface McpObserver {
  toolCall(server: string, tool: string, outcome: CallOutcome, seconds: number): void;
}

/** How a call ended, for metrics: `rejected` is the user's refusal (or no answer) to an approval request. */
export type CallOutcome =
  | 'success'
  | 'tool_error'
  | 'protocol_error'
  | 'http_error'
  | 'timeout'
  | 'cancelled'
  | 'rejected';

/** An observer that records nothing. */
export const NO_MCP_OBSERVER: McpObserver = Object.freeze({ toolCall: () => {} });

/**
 * The outcome of a call that ran, by its failure; timeouts are counted apart from other
 * protocol errors because they point at a slow server rather than a broken one.
 *
 * @example
 * outcomeOf(null, false); // 'success'
 */
export function outcomeOf(error: McpFailure | null, cancelled: boolean): CallOutcome {
  if (cancelled) return 'cancelled';
  if (error === null) return 'success';
  if (error.type === 'tool_execution_error') return 'tool_error';
  if (error.type === 'http_error') return 'http_error';
  return error.timedOut ? 'timeout' : 'protocol_error';
}
