/**
 * The session record: written when a session ends, from what the session observer is told
 * (its duration, cause, and frames and bytes each way).
 */
import { randomUUID } from 'node:crypto';
import type { SessionObserver } from '../session/observer.js';
import type { SessionStats } from '../session/registry.js';
import type { EndCause } from '../session/state.js';
import type { SessionInfo } from '../vocabulary/session.js';
import type { SessionRecord } from './ledger.js';

const NO_STATS: SessionStats = Object.freeze({
  clientFrames: 0,
  clientBytes: 0,
  upstreamFrames: 0,
  upstreamBytes: 0,
});

/**
 * The record of an ended session.
 *
 * @example
 * sessionRecord(info, 'client_closed', 1200, session.stats, Date.now());
 */
export function sessionRecord(
  info: SessionInfo,
  cause: EndCause,
  durationMs: number,
  stats: Readonly<SessionStats>,
  endedAt: number,
): SessionRecord {
  return {
    type: 'session',
    id: randomUUID(),
    sessionId: info.sessionId,
    keyId: info.keyId,
    model: info.model,
    upstreamModel: info.upstreamModel,
    upstream: info.upstreamName,
    intent: info.intent,
    startedAt: endedAt - durationMs,
    endedAt,
    durationMs,
    cause,
    clientFrames: stats.clientFrames,
    clientBytes: stats.clientBytes,
    upstreamFrames: stats.upstreamFrames,
    upstreamBytes: stats.upstreamBytes,
  };
}

/**
 * `observer`, which also records every ended session. The per-frame call goes straight to
 * `observer`'s own method (bound once), so the relay pays nothing for it.
 *
 * @example
 * const observer = withSessionRecords(metrics, (record) => writer.record(record));
 */
export function withSessionRecords(
  observer: SessionObserver,
  record: (record: SessionRecord) => void,
  now: () => number = Date.now,
): SessionObserver {
  return {
    sessionStarted: observer.sessionStarted.bind(observer),
    sessionEnded(info, cause, durationMs, stats) {
      observer.sessionEnded(info, cause, durationMs, stats);
      record(sessionRecord(info, cause, durationMs, stats ?? NO_STATS, now()));
    },
    frame: observer.frame.bind(observer),
    relayError: observer.relayError.bind(observer),
    usage: observer.usage.bind(observer),
    upstreamReplaced: observer.upstreamReplaced.bind(observer),
    clientResume: observer.clientResume.bind(observer),
  };
}
