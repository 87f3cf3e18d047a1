/**
 * A bound on how long an upgrade may stay pending. Once its headers are in, Node's request
 * timeouts no longer apply to the socket, and the gateway holds it while it dials the upstream;
 * this timer makes sure no upgrade stays half-open for longer than `limits.upgradeTimeoutMs`.
 */
import type { Socket } from 'node:net';

/**
 * Calls `onExpired` if the returned `settle` has not been called within `timeoutMs` and the
 * socket is still open.
 *
 * @example
 * const settle = guardUpgrade(socket, 60_000, () => refuse(refusal(504, 'upgrade_timeout', '…')));
 * // … once the WebSocket is open or the refusal sent:
 * settle();
 */
export function guardUpgrade(socket: Socket, timeoutMs: number, onExpired: () => void): () => void {
  const settle = (): void => {
    clearTimeout(timer);
    socket.off('close', settle);
  };
  const timer = setTimeout(() => {
    settle();
    if (!socket.destroyed) onExpired();
  }, timeoutMs);
  socket.once('close', settle);
  return settle;
}
