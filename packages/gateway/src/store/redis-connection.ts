/**
 * One connection to Redis with the settings the store and the bus need: an operation fails at
 * once with a {@link StoreError} while Redis is unreachable (no offline queue, no retried
 * commands, a deadline on each), the client reconnects by itself forever with a capped backoff,
 * and the connection's state changes are told once each, never once per retry.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { StoreError } from './store.js';

/** PEM strings for a TLS connection (`rediss://`, or forced by giving them). */
export interface RedisTlsOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** False accepts a server certificate no CA vouches for (development only). */
  readonly rejectUnauthorized?: boolean;
}

/** How a connection stands: told on each change. */
export type RedisStatus = 'ready' | 'reconnecting' | 'down';

/** Where and how to reach Redis; shared by the store and the bus. */
export interface RedisConnectionOptions {
  /** `redis://host:port[/db]` or `rediss://…` for TLS. */
  readonly url: string;
  /** Overrides a password in the URL; null or absent uses the URL's, if any. */
  readonly password?: string | null;
  /** The ACL user, when not the URL's or `default`. */
  readonly username?: string | null;
  readonly tls?: RedisTlsOptions | null;
  /** Every key (and channel) is named under it, so deployments can share one Redis. */
  readonly keyPrefix?: string;
  /** How long one operation may take before it fails with a {@link StoreError}. */
  readonly timeoutMs?: number;
  /** Told when the connection becomes ready, is lost, or cannot be made (once per change). */
  readonly onStatus?: (status: RedisStatus, detail?: string) => void;
}

export const DEFAULT_KEY_PREFIX = 'realtime-gateway:';
export const DEFAULT_TIMEOUT_MS = 2000;
/** The longest wait between two reconnection attempts. */
const MAX_RETRY_DELAY_MS = 2000;

/**
 * How long to wait before reconnection attempt `attempt` (1, 2, …): doubling from 50 ms, capped,
 * so a restarted Redis is found again within seconds without a storm of attempts.
 *
 * @example
 * retryDelay(1); // 50
 * retryDelay(10); // 2000
 */
export function retryDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.max(0, attempt - 1), MAX_RETRY_DELAY_MS);
}

/** Whether the URL asks for TLS. */
function wantsTls(url: string): boolean {
  return url.startsWith('rediss://');
}

/** An error of any kind from the client, as the store's own error. */
export function toStoreError(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError(`Redis could not ${what}: ${message}`, { cause: error });
}

/**
 * A client and what it is doing; see the module comment.
 *
 * @example
 * const connection = new RedisConnection({ url: 'redis://127.0.0.1:6379', timeoutMs: 1000 });
 * const pong = await connection.run('ping', (redis) => redis.ping());
 */
export class RedisConnection {
  readonly client: Redis;
  readonly timeoutMs: number;
  private reported: RedisStatus | null = null;
  private closed = false;

  constructor(
    private readonly options: RedisConnectionOptions,
    extra: Partial<RedisOptions> = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const tls = options.tls ?? (wantsTls(options.url) ? {} : null);
    this.client = new Redis(options.url, {
      ...(options.password == null ? {} : { password: options.password }),
      ...(options.username == null ? {} : { username: options.username }),
      ...(tls === null ? {} : { tls: { ...tls } }),
      // Fail fast rather than queue: admission refuses when the store cannot answer.
      enableOfflineQueue: false,
      // Commands asked in the same tick (admission's steps) leave in one write and come back together.
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      commandTimeout: this.timeoutMs,
      connectTimeout: Math.max(this.timeoutMs, 1000),
      retryStrategy: retryDelay,
      // RESP2: the same replies from scripts and pub/sub on every Redis-compatible server.
      protocol: 2,
      ...extra,
    });
    // An 'error' nobody listens to would crash the process; the state change is what matters.
    this.client.on('error', (error: Error) => {
      if (this.client.status !== 'ready') this.report('down', error.message);
    });
    this.client.on('ready', () => this.report('ready'));
    this.client.on('close', () => {
      if (this.reported === 'ready') this.report('reconnecting', 'the connection to Redis was lost');
    });
  }

  /** True while connected and ready. */
  get available(): boolean {
    return !this.closed && this.client.status === 'ready';
  }

  /** Resolves once connected; a {@link StoreError} when that does not happen within `withinMs`. */
  ready(withinMs = this.timeoutMs * 5): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('The Redis connection is closed.'));
    if (this.client.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new StoreError(`Redis did not become ready within ${withinMs} ms.`));
      }, withinMs);
      this.client.once('ready', onReady);
    });
  }

  /**
   * Runs one operation against the client within the deadline; whatever goes wrong rejects
   * with a {@link StoreError} naming `what`.
   */
  async run<T>(what: string, operation: (client: Redis) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError('The store is closed.');
    let timer: NodeJS.Timeout | undefined;
    // The client's own deadline is per command; a script retried after NOSCRIPT is two.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreError(`Redis did not ${what} within ${this.timeoutMs} ms.`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([operation(this.client), deadline]);
    } catch (error) {
      throw toStoreError(error, what);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection; {@link run} rejects afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  private report(status: RedisStatus, detail?: string): void {
    if (this.closed || this.reported === status) return;
    this.reported = status;
    try {
      this.options.onStatus?.(status, detail);
    } catch {
      // A failing observer must not take the connection's event handling down with it.
    }
  }
}
