/**
 * The life of a WebRTC call the gateway terminates, as a pure transition function.
 *
 *   answered ──connect──▶ connected ──hangup | lost | ended──▶ ended
 *       │                                                               ▲
 *       └──reject | hangup | connect_timeout | lost | ended─────────────┘
 *
 * A call is `answered` once the SDP answer went back (the 201), `connected` once the peer's
 * data channel opened, and `ended` for good. `reject` is for a call whose peer has not
 * connected yet; `lost` is the peer gone (its connection failed, or nothing came from it for
 * `webrtc.idleTimeoutMs`); `ended` is the bridged session ending (the upstream closed, a
 * limit, shutdown).
 */

export type CallState = 'answered' | 'connected' | 'ended';

/** Why a call ended, for logs and the hangup answer. */
export type CallEndCause = 'hangup' | 'rejected' | 'connect_timeout' | 'peer_lost' | 'session_ended';

export type CallEvent =
  | { readonly type: 'connect' }
  | { readonly type: 'hangup' }
  | { readonly type: 'reject' }
  | { readonly type: 'connect_timeout' }
  | { readonly type: 'lost' }
  | { readonly type: 'session_ended' };

/** A state change: the next state, and the cause when it ends the call. */
export interface CallTransition {
  readonly state: CallState;
  readonly cause: CallEndCause | null;
}

const ENDING: Readonly<Record<Exclude<CallEvent['type'], 'connect'>, CallEndCause>> = {
  hangup: 'hangup',
  reject: 'rejected',
  connect_timeout: 'connect_timeout',
  lost: 'peer_lost',
  session_ended: 'session_ended',
};

/**
 * The state after `event`, or null when the event does not apply in `state` (a second hangup,
 * a reject of a connected call, anything after the end).
 *
 * @example
 * transition('answered', { type: 'connect' }); // { state: 'connected', cause: null }
 * transition('connected', { type: 'reject' }); // null
 */
export function transition(state: CallState, event: CallEvent): CallTransition | null {
  if (state === 'ended') return null;
  switch (event.type) {
    case 'connect':
      return state === 'answered' ? { state: 'connected', cause: null } : null;
    case 'reject':
    case 'connect_timeout':
      return state === 'answered' ? { state: 'ended', cause: ENDING[event.type] } : null;
    case 'hangup':
    case 'lost':
    case 'session_ended':
      return { state: 'ended', cause: ENDING[event.type] };
  }
}
