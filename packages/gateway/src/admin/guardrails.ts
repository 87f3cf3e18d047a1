/**
 * `GET /admin/guardrails`: counts of guardrail decisions from the usage ledger, behind the admin
 * key. Takes `key`, `model`, `guardrail`, `from`, `to` and `group_by` (`guardrail`, `action`,
 * `key`, `model` or `day`), and answers
 *
 *   { "object": "guardrail_decisions", "group_by": "guardrail", "key": null, "model": null,
 *     "guardrail": null, "from": "…", "to": null,
 *     "data": [{ "guardrail": "pii", "decisions": 3, "block": 2, "end_session": 1,
 *                "fail_open": 0, "input": 1, "output": 2, "sessions": 2 }] }
 *
 * The texts a guardrail stopped are never recorded, so they are never answered either.
 */
import type { GuardrailQuery } from '../ledger/ledger.js';
import { isoTime, type LedgerEndpoint } from './ledger-endpoint.js';
import { parseGuardrailQuery } from './usage-query.js';

/** `GET /admin/guardrails`. */
export const GUARDRAILS_ENDPOINT: LedgerEndpoint<GuardrailQuery> = {
  path: '/admin/guardrails',
  what: 'guardrail decisions',
  parse: parseGuardrailQuery,
  async answer(ledger, query) {
    const totals = await ledger.guardrailDecisions(query);
    const group = query.groupBy ?? null;
    return {
      object: 'guardrail_decisions',
      group_by: group,
      key: query.keyId ?? null,
      model: query.model ?? null,
      guardrail: query.guardrail ?? null,
      from: isoTime(query.from),
      to: isoTime(query.to),
      data: totals.map((row) => ({
        ...(group === null ? {} : { [group]: row.group }),
        decisions: row.decisions,
        block: row.block,
        end_session: row.endSession,
        fail_open: row.failOpen,
        input: row.input,
        output: row.output,
        sessions: row.sessions,
      })),
    };
  },
};
