/**
 * A session over two scripted legs (no sockets), for tests of the relay and its middleware.
 */
import type { MiddlewareFactory } from '../../src/session/middleware.js';
import { Session } from '../../src/session/session.js';
import type { RelayLimits } from '../../src/vocabulary/limits.js';
import type { SessionInfo } from '../../src/vocabulary/session.js';
import { ScriptedLeg } from './scripted-leg.js';

/** Limits generous enough that only what a test sets comes into play. */
export const TEST_LIMITS: RelayLimits = {
  idleTimeoutMs: 60_000,
  maxSessionMs: 3_600_000,
  sessionWarningMs: 0,
  highWaterBytes: 1024 * 1024,
  maxBufferedBytes: 32 * 1024 * 1024,
  maxHeldFrames: 256,
  keepaliveMs: 30_000,
};

export const TEST_INFO: SessionInfo = {
  sessionId: 'sess_test',
  model: 'gpt-realtime',
  upstreamModel: 'gpt-realtime',
  upstreamName: 'test',
  keyId: null,
  intent: 'conversation',
};

/**
 * A started session with `middleware`, and its two legs.
 *
 * @example
 * const { client, upstream } = sessionRig([() => myMiddleware]);
 * upstream.receive({ type: 'response.done', response: { … } });
 */
export function sessionRig(middleware: readonly MiddlewareFactory[], limits: Partial<RelayLimits> = {}) {
  const client = new ScriptedLeg();
  const upstream = new ScriptedLeg();
  const session = new Session({ info: TEST_INFO, limits: { ...TEST_LIMITS, ...limits }, middleware });
  session.start(client, upstream);
  return { client, upstream, session };
}
