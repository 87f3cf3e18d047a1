/**
 * The life of a session as an explicit state machine. Every change of state goes through
 * {@link transition}, which refuses transitions that make no sense (a closed session cannot
 * reopen), so the relay cannot end up relaying on a session it already tore down.
 *
 * ```
 * connecting ──open──▶ open ──(any end cause)──▶ closing ──closed──▶ closed
 *     │                 │ ▲
 *     │                 │ └──replaced── replacing ──(any end cause)──▶ closing
 *     │                 └──replace──────▶ ┘
 *     │                 └──drain──▶ draining ──(any end cause)──▶ closing
 *     │                 │ ▲
 *     │                 │ └──resumed── detached ──(any end cause)──▶ closing
 *     │                 └──detach───────▶ ┘
 *     └──refused──▶ closed
 * ```
 *
 * `replacing`: the upstream connection was lost and a new one is being opened and brought up to
 * date; the client's connection stays open, and what it sends waits.
 *
 * `detached`: the client's connection dropped and the session waits for it to resume (the
 * grace period); the upstream goes on, and what it sends is kept for the client.
 */
export type SessionState =
  | 'connecting'
  | 'open'
  | 'replacing'
  | 'detached'
  | 'draining'
  | 'closing'
  | 'closed';

/** Why a session ends; also the `outcome` label of the sessions metric. */
export type EndCause =
  /** The client closed its WebSocket. */
  | 'client_closed'
  /** The upstream closed its WebSocket with a close frame. */
  | 'upstream_closed'
  /** The upstream connection dropped without a close frame, or stopped answering pings. */
  | 'upstream_lost'
  /** The client connection dropped without a close frame, or stopped answering pings. */
  | 'client_lost'
  /** An operator terminated it through the admin API. */
  | 'terminated'
  | 'idle_timeout'
  | 'max_duration'
  /** A bounded send buffer overflowed (close code 1013). */
  | 'buffer_overflow'
  /** The gateway is shutting down (close code 1001). */
  | 'shutdown'
  /** A policy the gateway enforces ended it (a key's spent budget), after an `error` event. */
  | 'policy';

export type SessionEvent =
  | { readonly type: 'open' }
  | { readonly type: 'refused' }
  | { readonly type: 'drain' }
  | { readonly type: 'replace' }
  | { readonly type: 'replaced' }
  | { readonly type: 'detach' }
  | { readonly type: 'resumed' }
  | { readonly type: 'end'; readonly cause: EndCause }
  | { readonly type: 'closed' };

/**
 * The state after `event`, or null when the event is not allowed in `state`.
 *
 * @example
 * transition('connecting', { type: 'open' }) // 'open'
 * transition('closed', { type: 'open' }) // null
 */
export function transition(state: SessionState, event: SessionEvent): SessionState | null {
  switch (state) {
    case 'connecting':
      if (event.type === 'open') return 'open';
      if (event.type === 'refused') return 'closed';
      return null;
    case 'open':
      if (event.type === 'drain') return 'draining';
      if (event.type === 'replace') return 'replacing';
      if (event.type === 'detach') return 'detached';
      if (event.type === 'end') return 'closing';
      return null;
    case 'replacing':
      if (event.type === 'replaced') return 'open';
      if (event.type === 'end') return 'closing';
      return null;
    case 'detached':
      if (event.type === 'resumed') return 'open';
      if (event.type === 'end') return 'closing';
      return null;
    case 'draining':
      if (event.type === 'end') return 'closing';
      return null;
    case 'closing':
      if (event.type === 'closed') return 'closed';
      return null;
    case 'closed':
      return null;
  }
}

/** Whether frames are relayed in this state. */
export function isRelaying(state: SessionState): boolean {
  return state === 'open' || state === 'replacing' || state === 'detached' || state === 'draining';
}
