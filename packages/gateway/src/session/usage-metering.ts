import type { ServerEvent } from '@realtime-gateway/protocol';
import { FORWARD, type Frame, type Middleware, type MiddlewareFactory } from './middleware.js';
import type { SessionObserver } from './observer.js';

const RESPONSE_DONE = new Set(['response.done']);

/**
 * Usage metering as middleware: reports the token usage of every `response.done` to the
 * observer (metrics today, the usage ledger next). It wants nothing else, so audio frames pass
 * it by.
 *
 * @example
 * const middleware = [usageMetering(metrics)];
 */
export function usageMetering(observer: SessionObserver): MiddlewareFactory {
  // One middleware for every session: the session is the context's.
  const middleware: Middleware = {
    name: 'usage-metering',
    upstream: RESPONSE_DONE,
    onUpstream(frame: Frame<ServerEvent>, ctx) {
      const event = frame.event;
      if (event?.type === 'response.done' && event.response.usage != null)
        observer.usage(ctx.info, event.response.usage);
      return FORWARD;
    },
  };
  return () => middleware;
}
