/**
 * One terminated call: its id and owner, its state ({@link transition}), and what it holds (the
 * WebRTC leg, the bridged session, a call slot). Ending the call, for whatever reason, closes the
 * leg, which ends the session (and frees its slots); the call's own slot and directory entry
 * go when the call ends.
 */
import type { Leg } from '../legs/leg.js';
import type { SessionLog } from '../vocabulary/session.js';
import { type CallEndCause, type CallEvent, type CallState, transition } from './call-state.js';

/** What a call needs to end cleanly. */
export interface CallParts {
  readonly id: string;
  /** The key the call belongs to (null when auth is off); only it may control the call. */
  readonly keyId: string | null;
  readonly sessionId: string;
  readonly leg: Leg;
  readonly connectTimeoutMs: number;
  readonly log: SessionLog;
  /** Called once, when the call ends: frees its slot and directory entry. */
  readonly onEnd: (call: Call, cause: CallEndCause) => void;
}

/** Causes after which the peer is dropped rather than closed: it is not there to be told. */
const DROPPED: ReadonlySet<CallEndCause> = new Set(['connect_timeout', 'peer_lost']);

/**
 * @example
 * const call = new Call({ id, keyId, sessionId, leg, connectTimeoutMs: 15_000, log, onEnd });
 * call.apply({ type: 'connect' }); // the data channel opened
 * call.apply({ type: 'hangup' });  // POST …/hangup
 */
export class Call {
  readonly id: string;
  readonly keyId: string | null;
  private stateValue: CallState = 'answered';
  private endCause: CallEndCause | null = null;
  private readonly connectTimer: NodeJS.Timeout;

  constructor(private readonly parts: CallParts) {
    this.id = parts.id;
    this.keyId = parts.keyId;
    this.connectTimer = setTimeout(() => this.apply({ type: 'connect_timeout' }), parts.connectTimeoutMs);
    this.connectTimer.unref();
  }

  get state(): CallState {
    return this.stateValue;
  }

  get cause(): CallEndCause | null {
    return this.endCause;
  }

  /** Applies `event`; false when it does not apply now (the call is in another state). */
  apply(event: CallEvent): boolean {
    const next = transition(this.stateValue, event);
    if (next === null) return false;
    this.stateValue = next.state;
    if (next.state === 'connected') clearTimeout(this.connectTimer);
    if (next.cause !== null) this.ended(next.cause);
    return true;
  }

  private ended(cause: CallEndCause): void {
    clearTimeout(this.connectTimer);
    this.endCause = cause;
    this.parts.log.info({ callId: this.id, sessionId: this.parts.sessionId, cause }, 'call ended');
    // A leg already closing (the peer went, the session ended) is left to finish on its own.
    const leg = this.parts.leg;
    if (leg.isOpen && DROPPED.has(cause)) leg.destroy();
    else if (leg.isOpen) leg.close(1000, `call ${cause}`);
    this.parts.onEnd(this, cause);
  }
}
