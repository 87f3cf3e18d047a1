/**
 * What a guardrail decided, and where each decision is told: the observer (metrics), the log
 * (one line per decision) and the session's trace (one span per decision). Never the text
 * itself: a blocked text is what nobody should read again.
 */
import type { ClientEvent, WireError } from '@realtime-gateway/protocol';
import type { SessionInfo, SessionLog } from '../vocabulary/session.js';
import type { SessionTrace } from '../vocabulary/trace.js';

/**
 * One decision. `block` and `end_session` stopped a text; `fail_open` let a text pass that the
 * moderation service could not check.
 */
export interface GuardrailDecision {
  readonly guardrail: string;
  readonly direction: 'input' | 'output';
  readonly action: 'block' | 'end_session' | 'fail_open';
  /**
   * What decided: a deny pattern, the moderation service's answer, or its failure; for an audio
   * turn, the transcript not coming (failed, or not in time), so that nothing could be checked.
   */
  readonly cause: 'deny' | 'moderation' | 'moderation_failed' | 'transcription_failed';
  /** The flagged categories, or why the moderation check failed. */
  readonly detail?: string;
  /** The response cut, for output. */
  readonly responseId?: string;
}

/**
 * Told every decision, with the session it was made in (the metrics count them, the ledger keeps
 * them, a recording marks them). `blocked` is the client event a decision stopped, when one did
 * (a user text item): for a recording to show it with its text replaced, never to log.
 */
export interface GuardrailObserver {
  decided(decision: GuardrailDecision, info: SessionInfo, blocked?: ClientEvent): void;
}

export const NO_GUARDRAIL_OBSERVER: GuardrailObserver = Object.freeze({ decided: () => {} });

/**
 * One observer that tells each of `observers`, in order.
 *
 * @example
 * guardrailMiddleware({ guardrails, observer: allOf([metrics.guardrails, ledgerRecords]), sessions, log });
 */
export function allOf(observers: readonly GuardrailObserver[]): GuardrailObserver {
  if (observers.length === 0) return NO_GUARDRAIL_OBSERVER;
  if (observers.length === 1) return observers[0]!;
  return {
    decided(decision, info, blocked) {
      for (const observer of observers) observer.decided(decision, info, blocked);
    },
  };
}

/** The error code the client gets for blocked text, in input and output alike. */
export const GUARDRAIL_ERROR_CODE = 'guardrail_triggered';

/** The close reason of a session ended by an `end_session` guardrail. */
export const GUARDRAIL_END_REASON = 'guardrail triggered';

/**
 * The client's `error` for a decision: it names the guardrail, never the text.
 *
 * @example
 * guardrailError({ guardrail: 'pii', direction: 'input', action: 'block', cause: 'deny' }, 'evt_1');
 * // { code: 'guardrail_triggered', message: "Blocked by guardrail 'pii' …", param: null, eventId: 'evt_1' }
 */
export function guardrailError(decision: GuardrailDecision, eventId: string | null = null): WireError {
  const what = decision.direction === 'input' ? 'This input was' : 'The response was';
  const why = UNCHECKED[decision.cause] ?? '';
  return {
    type: 'invalid_request_error',
    code: GUARDRAIL_ERROR_CODE,
    message: `${what} blocked by guardrail '${decision.guardrail}'${why}.`,
    param: null,
    eventId,
  };
}

/** Why a text was blocked without being checked, as the client's error says. */
const UNCHECKED: Partial<Record<GuardrailDecision['cause'], string>> = {
  moderation_failed: ' (the moderation service could not check it)',
  transcription_failed: ' (its transcript did not come, so it could not be checked)',
};

/** Tells the observer, the log and the trace of one decision (the blocked event the observer only). */
export function record(
  decision: GuardrailDecision,
  where: { info: SessionInfo; log: SessionLog; trace: SessionTrace; observer: GuardrailObserver },
  blocked?: ClientEvent,
): void {
  where.observer.decided(decision, where.info, blocked);
  const { sessionId, keyId, model } = where.info;
  where.log.info({ sessionId, keyId, model, ...decision }, 'guardrail decision');
  const span = where.trace.span('guardrail.decision', {
    'realtime_gateway.guardrail.name': decision.guardrail,
    'realtime_gateway.guardrail.direction': decision.direction,
    'realtime_gateway.guardrail.action': decision.action,
    'realtime_gateway.guardrail.cause': decision.cause,
    'realtime_gateway.response.id': decision.responseId,
  });
  span.end();
}
