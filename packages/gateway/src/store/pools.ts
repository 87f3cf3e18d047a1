/**
 * The names the gateway's limits have in the store. One place, so that every process (and, with
 * a shared store, every node) counts the same thing under the same name.
 */

/** Concurrent sessions across the deployment (`limits.maxSessions`). */
export const SESSIONS_POOL = 'sessions';

/** Concurrent sessions of one gateway key (`keys[].maxSessions`). */
export function keyPool(keyId: string): string {
  return `key:${keyId}`;
}

/** Concurrent sessions on one upstream (`upstreams[].maxSessions`, and its weight's share). */
export function upstreamPool(upstream: string): string {
  return `upstream:${upstream}`;
}

/** A key's new-session rate (`keys[].sessionsPerMinute`). */
export function rateBucket(keyId: string): string {
  return `rate:${keyId}`;
}

/** Concurrent WebRTC calls across the deployment (`webrtc.maxCalls`). */
export const CALLS_POOL = 'calls';

/** Concurrent WebRTC calls of one gateway key (`keys[].maxCalls`). */
export function keyCallsPool(keyId: string): string {
  return `calls:key:${keyId}`;
}
