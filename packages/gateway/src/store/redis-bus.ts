/**
 * The bus over Redis pub/sub. Two connections, since one that subscribes can do nothing else:
 * one publishes (failing at once with a {@link StoreError} while Redis is away: a message is
 * never queued to arrive late), one listens, and subscribes again to every channel each time it
 * connects, so a restarted Redis delivers again without anyone's help. Channels are named under
 * the key prefix, so deployments sharing one Redis do not hear each other.
 */

import type { Bus, BusListener } from './bus.js';
import { DEFAULT_KEY_PREFIX, RedisConnection, type RedisConnectionOptions } from './redis-connection.js';
import { StoreError } from './store.js';

/** Options for {@link RedisBus}. */
export interface RedisBusOptions extends RedisConnectionOptions {
  /** Told when a listener throws; the other listeners, and later messages, still get theirs. */
  readonly onListenerError?: (error: unknown, channel: string) => void;
}

/**
 * Publish and subscribe across the deployment. See the module comment.
 *
 * @example
 * const bus = new RedisBus({ url: 'redis://redis:6379', timeoutMs: 1000 });
 * await bus.subscribe('terminate', (message) => endSession(JSON.parse(message)));
 * await bus.publish('terminate', JSON.stringify({ sessionId }));
 */
export class RedisBus implements Bus {
  private readonly publisher: RedisConnection;
  private readonly subscriber: RedisConnection;
  private readonly prefix: string;
  private readonly listeners = new Map<string, Set<BusListener>>();
  private closed = false;

  constructor(private readonly options: RedisBusOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.publisher = new RedisConnection({ ...options, onStatus: this.tell('publisher') });
    // Subscribing again on every connection is ours to do: ioredis's own does not cover a
    // channel whose first SUBSCRIBE failed.
    this.subscriber = new RedisConnection(
      { ...options, onStatus: this.tell('subscriber') },
      { autoResubscribe: false },
    );
    this.subscriber.client.on('ready', () => {
      const channels = [...this.listeners.keys()].map((channel) => this.channel(channel));
      // A failure means the connection was lost again; its next 'ready' tries again.
      if (channels.length > 0) this.subscriber.client.subscribe(...channels).catch(() => {});
    });
    this.subscriber.client.on('message', (channel: string, message: string) =>
      this.deliver(channel, message),
    );
  }

  /** True while both connections are ready. */
  get available(): boolean {
    return this.publisher.available && this.subscriber.available;
  }

  /** Resolves once both connections are ready; see {@link RedisConnection.ready}. */
  async ready(withinMs?: number): Promise<void> {
    await Promise.all([this.publisher.ready(withinMs), this.subscriber.ready(withinMs)]);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.run('publish', (redis) => redis.publish(this.channel(channel), message));
  }

  /**
   * Resolves once Redis confirms the subscription, or at once while Redis is unreachable: the
   * channel is subscribed when the connection is back. A {@link StoreError} when the confirming
   * SUBSCRIBE fails; the listener stays, and is subscribed at the next connection.
   */
  async subscribe(channel: string, listener: BusListener): Promise<void> {
    if (this.closed) throw new StoreError('The bus is closed.');
    const known = this.listeners.get(channel);
    if (known !== undefined) {
      known.add(listener);
      return;
    }
    this.listeners.set(channel, new Set([listener]));
    if (!this.subscriber.available) return;
    await this.subscriber.run('subscribe', (redis) => redis.subscribe(this.channel(channel)));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await Promise.all([this.publisher.close(), this.subscriber.close()]);
  }

  private channel(name: string): string {
    return `${this.prefix}${name}`;
  }

  private deliver(channel: string, message: string): void {
    if (!channel.startsWith(this.prefix)) return;
    const name = channel.slice(this.prefix.length);
    for (const listener of [...(this.listeners.get(name) ?? [])]) {
      try {
        listener(message);
      } catch (error) {
        this.reportListenerError(error, name);
      }
    }
  }

  private reportListenerError(error: unknown, channel: string): void {
    try {
      this.options.onListenerError?.(error, channel);
    } catch {
      // The report is best effort; delivery goes on.
    }
  }

  /** The bus's status observer for one of its connections, naming which. */
  private tell(role: string): RedisConnectionOptions['onStatus'] {
    const onStatus = this.options.onStatus;
    if (onStatus === undefined) return undefined;
    return (status, detail) => onStatus(status, detail === undefined ? role : `${role}: ${detail}`);
  }
}
