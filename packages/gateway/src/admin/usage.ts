/**
 * `GET /admin/usage`: totals from the usage ledger, behind the admin key like the rest of the
 * admin API. Answers
 *
 *   { "object": "usage", "group_by": "day", "from": "…", "to": null, "key": null, "model": null,
 *     "data": [{ "day": "2026-12-03", "input_text_tokens": …, "output_audio_tokens": …,
 *                "total_tokens": …, "audio_seconds": …, "cost_usd": …, "sessions": …,
 *                "unpriced_records": … }] }
 *
 * 404 `ledger_disabled` when the ledger is off, 503 `ledger_unavailable` when it cannot be read
 * (see `ledger-endpoint.ts`).
 */

import type { UsageQuery, UsageTotals } from '../ledger/ledger.js';
import { isoTime, type LedgerEndpoint } from './ledger-endpoint.js';
import { parseUsageQuery } from './usage-query.js';

/** One group's totals as the API spells them. */
export function usageRow(totals: UsageTotals, groupName: string | null): Record<string, unknown> {
  const t = totals.tokens;
  return {
    ...(groupName === null ? {} : { [groupName]: totals.group }),
    input_text_tokens: t.inputText,
    input_audio_tokens: t.inputAudio,
    input_image_tokens: t.inputImage,
    cached_text_tokens: t.cachedText,
    cached_audio_tokens: t.cachedAudio,
    cached_image_tokens: t.cachedImage,
    output_text_tokens: t.outputText,
    output_audio_tokens: t.outputAudio,
    total_tokens: t.totalTokens,
    audio_seconds: t.audioSeconds,
    cost_usd: totals.costUsd,
    sessions: totals.sessions,
    unpriced_records: totals.unpriced,
  };
}

/** `GET /admin/usage`. */
export const USAGE_ENDPOINT: LedgerEndpoint<UsageQuery> = {
  path: '/admin/usage',
  what: 'usage',
  parse: parseUsageQuery,
  async answer(ledger, query) {
    const totals = await ledger.usage(query);
    return {
      object: 'usage',
      group_by: query.groupBy ?? null,
      key: query.keyId ?? null,
      model: query.model ?? null,
      from: isoTime(query.from),
      to: isoTime(query.to),
      data: totals.map((row) => usageRow(row, query.groupBy ?? null)),
    };
  },
};
