/**
 * Usage metering of translation sessions for the ledger. Translation events carry no usage,
 * and OpenAI prices `gpt-realtime-translate` by the minute, so a session's usage is its
 * duration: one record when it ends, `audioSeconds` from its start to its end, costed at the
 * model's per-minute price. It wants no frames at all.
 */

import type { MeteringOptions } from '../ledger/metering.js';
import { meteredRecord } from '../ledger/metering.js';
import { NO_TOKENS } from '../ledger/tokens.js';
import type { Middleware, MiddlewareFactory } from '../session/middleware.js';

/**
 * @example
 * const middleware = [translationMetering({ record: (r) => writer.record(r), prices })];
 */
export function translationMetering(options: MeteringOptions): MiddlewareFactory {
  const now = options.now ?? Date.now;
  return (info) => {
    if (info.intent !== 'translation') return null;
    let startedAt: number | null = null;
    const middleware: Middleware = {
      name: 'translation-metering',
      open() {
        startedAt = now();
      },
      close(ctx) {
        if (startedAt === null) return undefined;
        const at = now();
        const audioSeconds = Math.max(0, at - startedAt) / 1000;
        // The context's info: it names the upstream the session ended on.
        const current = ctx.info;
        const tokens = { ...NO_TOKENS, audioSeconds };
        options.record(
          meteredRecord(current, 'translation', current.upstreamModel, tokens, options.prices, at),
        );
        return { meteredSeconds: audioSeconds };
      },
    };
    return middleware;
  };
}
