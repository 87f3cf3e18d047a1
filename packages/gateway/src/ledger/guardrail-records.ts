/**
 * Guardrail decisions as ledger records: who was stopped, by which guardrail, doing what, and
 * when, for `GET /admin/guardrails`. Never the text that was stopped.
 */
import { randomUUID } from 'node:crypto';
import type { GuardrailDecision, GuardrailObserver } from '../guardrails/decisions.js';
import type { SessionInfo } from '../vocabulary/session.js';
import type { GuardrailRecord } from './ledger.js';

/**
 * The record of one decision in one session.
 *
 * @example
 * guardrailRecord({ guardrail: 'pii', direction: 'input', action: 'block', cause: 'deny' }, info, Date.now());
 */
export function guardrailRecord(decision: GuardrailDecision, info: SessionInfo, at: number): GuardrailRecord {
  return {
    type: 'guardrail',
    id: randomUUID(),
    at,
    sessionId: info.sessionId,
    keyId: info.keyId,
    model: info.model,
    upstream: info.upstreamName,
    guardrail: decision.guardrail,
    direction: decision.direction,
    action: decision.action,
    cause: decision.cause,
  };
}

/**
 * An observer that records every decision in the ledger.
 *
 * @example
 * const observer = guardrailRecords((record) => writer.record(record));
 */
export function guardrailRecords(
  record: (record: GuardrailRecord) => void,
  now: () => number = Date.now,
): GuardrailObserver {
  return { decided: (decision, info) => record(guardrailRecord(decision, info, now())) };
}
