/**
 * Prometheus metrics of guardrail decisions. Labels are bounded: guardrail names come from the
 * configuration, and direction, action and cause are fixed sets.
 */
import { Counter, type Registry } from 'prom-client';
import type { SessionInfo } from '../vocabulary/session.js';
import type { GuardrailDecision, GuardrailObserver } from './decisions.js';

/**
 * @example
 * const metrics = new GuardrailMetrics(registry);
 * guardrailMiddleware({ guardrails: config.guardrails, observer: metrics, sessions, log });
 */
export class GuardrailMetrics implements GuardrailObserver {
  private readonly decisions: Counter<'guardrail' | 'direction' | 'action' | 'cause'>;

  constructor(registry: Registry) {
    this.decisions = new Counter({
      name: 'realtime_gateway_guardrail_decisions_total',
      help: 'Texts stopped (block, end_session) or let through unchecked (fail_open) by guardrails.',
      labelNames: ['guardrail', 'direction', 'action', 'cause'],
      registers: [registry],
    });
  }

  decided(decision: GuardrailDecision, _info: SessionInfo): void {
    const { guardrail, direction, action, cause } = decision;
    this.decisions.inc({ guardrail, direction, action, cause });
  }
}
