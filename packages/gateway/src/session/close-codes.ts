/**
 * WebSocket close codes the gateway itself chooses (codes the peers choose are relayed as they
 * are). The README's close-code table lists the same values.
 */
export const CloseCode = {
  /** Normal close, relayed. */
  normal: 1000,
  /** The gateway is shutting down (after the drain period). */
  goingAway: 1001,
  /** Maximum session duration reached, or terminated by an operator. */
  policyViolation: 1008,
  /** The upstream vanished or failed; the client also gets an `error` event first. */
  internalError: 1011,
  /** A bounded send buffer overflowed: a peer did not read fast enough. */
  tryAgainLater: 1013,
  /** Idle timeout: no frame either way for `limits.idleTimeoutMs`. */
  idleTimeout: 4000,
  /** The session was resumed on another connection, and this one is let go. */
  resumedElsewhere: 4001,
} as const;

/**
 * The code to send on the other leg when a peer closed with `code`. Codes that must not be sent
 * in a close frame (1005 no status, 1006 abnormal, 1015 TLS) and out-of-range ones are mapped to
 * what they mean for the other side.
 */
export function relayableCloseCode(code: number, fallback: number): number {
  if (code === 1005) return CloseCode.normal;
  if (code === 1006 || code === 1015 || code < 1000 || code > 4999) return fallback;
  if (code >= 1016 && code <= 2999) return fallback;
  if (code === 1004) return fallback;
  return code;
}
