/**
 * Usage metering for the ledger, as session middleware: every `response.done` usage and every
 * input transcription usage becomes a {@link UsageRecord} with its cost, handed to the writer.
 * It wants four upstream event types and nothing else (the two usages, and `session.created` /
 * `session.updated` for the transcription model, which the usage event does not name), so
 * audio frames pass it by at the cost of a type peek.
 *
 * It goes first in the session's list, so it sees the upstream's events before any other
 * middleware may answer or hide one: the ledger holds what the upstream reported, which is
 * what it bills.
 */
import { randomUUID } from 'node:crypto';
import type { ServerEvent } from '@realtime-gateway/protocol';
import { costOf } from '../pricing/cost.js';
import { type PriceTable, priceOf } from '../pricing/prices.js';
import { FORWARD, type Frame, type Middleware, type MiddlewareFactory } from '../session/middleware.js';
import type { SessionInfo } from '../vocabulary/session.js';
import type { UsageRecord } from './ledger.js';
import { type TokenCounts, tokensOfResponse, tokensOfTranscription } from './tokens.js';

const WANTED: ReadonlySet<string> = new Set([
  'response.done',
  'conversation.item.input_audio_transcription.completed',
  'session.created',
  'session.updated',
]);

/** The model a transcription usage is charged to when no session event named one. */
export const UNKNOWN_TRANSCRIPTION_MODEL = 'unknown-transcription-model';

export interface MeteringOptions {
  /** Where records go (the {@link LedgerWriter}'s `record`). */
  readonly record: (record: UsageRecord) => void;
  readonly prices: PriceTable;
  readonly now?: () => number;
}

/**
 * A usage record of a session's usage, costed at the model's price (0 and `priced: false` for a
 * model the table does not know).
 *
 * @example
 * meteredRecord(info, 'response', info.upstreamModel, tokens, priceTable(), Date.now());
 */
export function meteredRecord(
  info: SessionInfo,
  source: UsageRecord['source'],
  model: string,
  tokens: TokenCounts,
  prices: PriceTable,
  at: number,
): UsageRecord {
  const price = priceOf(prices, model);
  return {
    type: 'usage',
    id: randomUUID(),
    at,
    sessionId: info.sessionId,
    keyId: info.keyId,
    model,
    sessionModel: info.model,
    upstream: info.upstreamName,
    source,
    tokens,
    costUsd: price === null ? 0 : costOf(tokens, price),
    priced: price !== null,
  };
}

/**
 * @example
 * const middleware = [ledgerMetering({ record: (r) => writer.record(r), prices: priceTable(config.prices) })];
 */
export function ledgerMetering(options: MeteringOptions): MiddlewareFactory {
  const now = options.now ?? Date.now;
  return (info) => {
    // What the session's upstream said its input transcription model is, once it says.
    let transcriptionModel: string | null = info.intent === 'transcription' ? info.upstreamModel : null;
    const middleware: Middleware = {
      name: 'ledger-metering',
      upstream: WANTED,
      onUpstream(frame: Frame<ServerEvent>, ctx) {
        const event = frame.event;
        if (event === null) return FORWARD;
        // The context's info, not the factory's: it names the upstream the session is on now.
        const current = ctx.info;
        if (event.type === 'response.done') {
          const usage = event.response.usage;
          if (usage != null)
            options.record(
              meteredRecord(
                current,
                'response',
                current.upstreamModel,
                tokensOfResponse(usage),
                options.prices,
                now(),
              ),
            );
        } else if (event.type === 'conversation.item.input_audio_transcription.completed') {
          const model = transcriptionModel ?? UNKNOWN_TRANSCRIPTION_MODEL;
          options.record(
            meteredRecord(
              current,
              'transcription',
              model,
              tokensOfTranscription(event.usage),
              options.prices,
              now(),
            ),
          );
        } else if (event.type === 'session.created' || event.type === 'session.updated') {
          const named = event.session.audio?.input?.transcription?.model;
          if (typeof named === 'string' && named !== '') transcriptionModel = named;
        }
        return FORWARD;
      },
    };
    return middleware;
  };
}
