import type { ResponseUsage } from '@realtime-gateway/protocol';
import type {
  ClientResumeOutcome,
  Direction,
  SessionInfo,
  UpstreamReplacement,
} from '../vocabulary/session.js';
import type { SessionStats } from './registry.js';
import type { EndCause } from './state.js';

export { type Direction, NO_LOG, type SessionLog } from '../vocabulary/session.js';

/**
 * What the relay reports as it runs, for metrics. `frame` is called once per relayed frame, so
 * implementations must be cheap: no allocation, pre-bound label children.
 */
export interface SessionObserver {
  sessionStarted(info: SessionInfo): void;
  /** `stats`: the frames and bytes it relayed each way. */
  sessionEnded(info: SessionInfo, cause: EndCause, durationMs: number, stats?: Readonly<SessionStats>): void;
  /** `type` is the peeked event type, or null for a frame without one. */
  frame(info: SessionInfo, direction: Direction, type: string | null, bytes: number): void;
  relayError(info: SessionInfo, reason: string): void;
  /** Token usage from a `response.done`. */
  usage(info: SessionInfo, usage: ResponseUsage): void;
  /** A replacement of the session's upstream connection settled; `info` names the upstream it is on now. */
  upstreamReplaced(info: SessionInfo, replacement: UpstreamReplacement): void;
  /** A client that could resume its session did, or could not any more. */
  clientResume(info: SessionInfo, outcome: ClientResumeOutcome): void;
}

const noop = (): void => {};

/** An observer that records nothing. */
export const NO_OBSERVER: SessionObserver = Object.freeze({
  sessionStarted: noop,
  sessionEnded: noop,
  frame: noop,
  relayError: noop,
  usage: noop,
  upstreamReplaced: noop,
  clientResume: noop,
});
