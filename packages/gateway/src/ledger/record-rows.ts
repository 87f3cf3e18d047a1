/**
 * Records as rows: the column order both stores insert in, and each record's values in it.
 */
import type { GuardrailRecord, SessionRecord, UsageRecord } from './ledger.js';
import { TOKEN_KINDS } from './tokens.js';
import { TOKEN_COLUMNS } from './usage-sql.js';

export const USAGE_COLUMNS: readonly string[] = [
  'id',
  'at',
  'session_id',
  'key_id',
  'model',
  'session_model',
  'upstream',
  'source',
  ...TOKEN_KINDS.map((kind) => TOKEN_COLUMNS[kind]),
  'cost_usd',
  'priced',
];

export const SESSION_COLUMNS: readonly string[] = [
  'id',
  'session_id',
  'key_id',
  'model',
  'upstream_model',
  'upstream',
  'intent',
  'started_at',
  'ended_at',
  'duration_ms',
  'cause',
  'client_frames',
  'client_bytes',
  'upstream_frames',
  'upstream_bytes',
];

/** A usage record's values in {@link USAGE_COLUMNS} order; `priced` as the store spells a boolean. */
export function usageRow(record: UsageRecord, bool: (value: boolean) => unknown): unknown[] {
  return [
    record.id,
    record.at,
    record.sessionId,
    record.keyId,
    record.model,
    record.sessionModel,
    record.upstream,
    record.source,
    ...TOKEN_KINDS.map((kind) => record.tokens[kind]),
    record.costUsd,
    bool(record.priced),
  ];
}

/** A session record's values in {@link SESSION_COLUMNS} order. */
export function sessionRow(record: SessionRecord): unknown[] {
  return [
    record.id,
    record.sessionId,
    record.keyId,
    record.model,
    record.upstreamModel,
    record.upstream,
    record.intent,
    record.startedAt,
    record.endedAt,
    record.durationMs,
    record.cause,
    record.clientFrames,
    record.clientBytes,
    record.upstreamFrames,
    record.upstreamBytes,
  ];
}

export const GUARDRAIL_COLUMNS: readonly string[] = [
  'id',
  'at',
  'session_id',
  'key_id',
  'model',
  'upstream',
  'guardrail',
  'direction',
  'action',
  'cause',
];

/** A guardrail record's values in {@link GUARDRAIL_COLUMNS} order. */
export function guardrailRow(record: GuardrailRecord): unknown[] {
  return [
    record.id,
    record.at,
    record.sessionId,
    record.keyId,
    record.model,
    record.upstream,
    record.guardrail,
    record.direction,
    record.action,
    record.cause,
  ];
}
