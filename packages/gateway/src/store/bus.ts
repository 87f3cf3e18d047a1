/**
 * The bus: how the nodes of a deployment tell each other things as they happen — an admin's
 * order to end a session another node holds, a question every node answers (its live sessions),
 * an upstream whose circuit opened. Messages are strings (JSON) on named channels, delivered at
 * most once to every node subscribed at the time: what must not be lost lives in the
 * {@link Store} instead, and what asks for an answer waits for it with a deadline.
 *
 * One process has no bus (there is no one to tell); `store.redis` gives one over Redis pub/sub.
 */

/** Called with each message published on a channel the node subscribed to. */
export type BusListener = (message: string) => void;

/**
 * Deployment-wide publish and subscribe.
 *
 * @example
 * await bus.subscribe('terminate', (message) => endSession(JSON.parse(message)));
 * await bus.publish('terminate', JSON.stringify({ sessionId, reason }));
 */
export interface Bus {
  /** Sends `message` to every node subscribed to `channel` (this one included). */
  publish(channel: string, message: string): Promise<void>;
  /** Calls `listener` with every message on `channel` from now on, until the bus closes. */
  subscribe(channel: string, listener: BusListener): Promise<void>;
  /** Stops delivering and frees the bus's connection. */
  close(): Promise<void>;
}
