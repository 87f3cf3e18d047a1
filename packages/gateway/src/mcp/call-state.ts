/**
 * The lifecycle of one tool call the gateway runs, as a pure function so that every path a
 * call may take, and every one it may not, is written down in one place.
 *
 *   streaming ──start──▶ running ──finish──▶ settled
 *       │  └──start (approval)──▶ awaiting_approval ──approve──▶ running
 *       │                            │ reject, expire, cancel
 *       └──cancel──────────────────▶ settled
 *
 * A running call is not cancelled by an event of its own: its tool call is aborted and it
 * settles through `finish` when the call returns, so its outcome is recorded once.
 */

/**
 * `streaming`: the model is still sending the arguments. `awaiting_approval`: the client was
 * asked to approve the call. `running`: the MCP server has the call. `settled`: it has an
 * output or an error, and waits for its response's other calls.
 */
export type CallState = 'streaming' | 'awaiting_approval' | 'running' | 'settled';

/**
 * What happens to a call.
 *
 * @example
 * const approved: CallEvent = { type: 'approve' };
 */
export type CallEvent =
  /** The arguments are complete; `approval` when the tool needs the client's approval first. */
  | { readonly type: 'start'; readonly approval: boolean }
  | { readonly type: 'approve' }
  | { readonly type: 'reject' }
  /** The approval request went unanswered for `mcp.approvalTimeoutMs`. */
  | { readonly type: 'expire' }
  /** The response was cancelled before the call reached its MCP server. */
  | { readonly type: 'cancel' }
  /** The tool call returned (or could not be made). */
  | { readonly type: 'finish' };

/**
 * The state a call moves to on an event, or null when the event does not apply in that state
 * (an answer to an approval no longer pending, a second outcome for a settled call).
 *
 * @example
 * transition('streaming', { type: 'start', approval: true }); // 'awaiting_approval'
 * transition('settled', { type: 'finish' }); // null
 */
export function transition(state: CallState, event: CallEvent): CallState | null {
  switch (state) {
    case 'streaming':
      if (event.type === 'start') return event.approval ? 'awaiting_approval' : 'running';
      return event.type === 'cancel' ? 'settled' : null;
    case 'awaiting_approval':
      if (event.type === 'approve') return 'running';
      return event.type === 'reject' || event.type === 'expire' || event.type === 'cancel' ? 'settled' : null;
    case 'running':
      return event.type === 'finish' ? 'settled' : null;
    case 'settled':
      return null;
  }
}
