import type { ResponseUsage } from '@realtime-gateway/protocol';
import type { SessionInfo } from './extension.js';
import type { EndCause } from './state.js';

/** Which way a frame travels. */
export type Direction = 'client_to_upstream' | 'upstream_to_client';

/**
 * What the relay reports as it runs, for metrics. `frame` is called once per relayed frame, so
 * implementations must be cheap: no allocation, pre-bound label children.
 */
export interface SessionObserver {
  sessionStarted(info: SessionInfo): void;
  sessionEnded(info: SessionInfo, cause: EndCause, durationMs: number): void;
  /** `type` is the peeked event type, or null for a frame without one. */
  frame(info: SessionInfo, direction: Direction, type: string | null, bytes: number): void;
  relayError(info: SessionInfo, reason: string): void;
  /** Token usage from a `response.done`. */
  usage(info: SessionInfo, usage: ResponseUsage): void;
}

/** The structured logger the relay writes to (a pino logger fits). */
export interface SessionLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const noop = (): void => {};

/** An observer that records nothing. */
export const NO_OBSERVER: SessionObserver = Object.freeze({
  sessionStarted: noop,
  sessionEnded: noop,
  frame: noop,
  relayError: noop,
  usage: noop,
});

/** A logger that writes nothing. */
export const NO_LOG: SessionLog = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
