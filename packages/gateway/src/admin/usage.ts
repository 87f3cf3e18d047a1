/**
 * `GET /admin/usage`: totals from the usage ledger, behind the admin key like the rest of the
 * admin API. Answers
 *
 *   { "object": "usage", "group_by": "day", "from": "…", "to": null, "key": null, "model": null,
 *     "data": [{ "day": "2026-12-03", "input_text_tokens": …, "output_audio_tokens": …,
 *                "total_tokens": …, "audio_seconds": …, "cost_usd": …, "sessions": …,
 *                "unpriced_records": … }] }
 *
 * 404 `ledger_disabled` when the ledger is off, 503 `ledger_unavailable` when it cannot be read.
 */

import type { ServerResponse } from 'node:http';
import { checkOperatorRead } from '../http/operator-key.js';
import { sendRefusal } from '../http/respond.js';
import type { RequestHandler } from '../http/server.js';
import { isRefusal, parseTarget } from '../http/target.js';
import type { UsageTotals } from '../ledger/ledger.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { refusal } from '../refusal.js';
import { describeError, NO_LOG, type SessionLog } from '../vocabulary/session.js';
import { parseUsageQuery } from './usage-query.js';

const PATH = '/admin/usage';

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

/**
 * @example
 * const usage = usageHandler(gateway.ledger, config.admin.keyHash, log);
 */
export function usageHandler(
  ledger: LedgerWriter | null,
  keyHash: string | null,
  log: SessionLog = NO_LOG,
): RequestHandler {
  return async (req, res) => {
    const target = parseTarget(req.url);
    if (isRefusal(target) || target.path !== PATH || keyHash === null) return false;
    const refused = checkOperatorRead(req, keyHash, 'The admin API', 'Use GET.');
    if (refused !== null) {
      sendRefusal(res, refused);
      return true;
    }
    await sendUsage(res, ledger, target.query, log);
    return true;
  };
}

/**
 * Answers a usage query (`params` as `GET /admin/usage` takes them) from the ledger: the totals,
 * or 400 for a bad parameter, 404 with the ledger off, 503 when it cannot be read. The console
 * asks through it too.
 *
 * @example
 * await sendUsage(res, gateway.ledger, new URLSearchParams('group_by=day'), log);
 */
export async function sendUsage(
  res: ServerResponse,
  ledger: LedgerWriter | null,
  params: URLSearchParams,
  log: SessionLog,
): Promise<void> {
  if (ledger === null) {
    sendRefusal(
      res,
      refusal(404, 'ledger_disabled', 'The usage ledger is turned off (ledger.enabled: false).'),
    );
    return;
  }
  const parsed = parseUsageQuery(params);
  if (!parsed.ok) {
    sendRefusal(res, parsed.refusal);
    return;
  }
  const query = parsed.query;
  let totals: UsageTotals[];
  try {
    totals = await ledger.usage(query);
  } catch (error) {
    log.error(
      { ledger: ledger.ledger.description, err: describeError(error) },
      'reading usage from the ledger failed',
    );
    sendRefusal(
      res,
      refusal(503, 'ledger_unavailable', 'The usage ledger cannot be read right now; try again.'),
    );
    return;
  }
  const iso = (time: number | undefined) => (time === undefined ? null : new Date(time).toISOString());
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      object: 'usage',
      group_by: query.groupBy ?? null,
      key: query.keyId ?? null,
      model: query.model ?? null,
      from: iso(query.from),
      to: iso(query.to),
      data: totals.map((row) => usageRow(row, query.groupBy ?? null)),
    }),
  );
}
