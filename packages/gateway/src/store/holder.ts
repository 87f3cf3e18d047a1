import { randomUUID } from 'node:crypto';
import type { PoolLimit, SlotGrant, Store } from './store.js';

/** How often a failed release is tried again, a third of the time to live apart. */
const RELEASE_RETRIES = 3;

const addressKey = (holder: string): string => `holder-address:${holder}`;

/** The directory kind every live process of the deployment is entered under (see {@link StoreHolder.join}). */
export const NODE_ENTRY = 'node';

/** Options for {@link StoreHolder}. */
export interface StoreHolderOptions {
  /** This process's name in the store; unique among the processes that share it. */
  readonly id?: string;
  /** How long this process's slots and entries outlive it if it dies without a word. */
  readonly ttlMs: number;
  /** Told when a renewal or a release fails; what is not renewed lapses after `ttlMs`. */
  readonly onRenewFailed?: (error: unknown) => void;
}

/**
 * One gateway process as a holder in the store: it takes slots and directory entries under its
 * own name and renews them every third of their time to live, so they stay while it lives and
 * lapse soon after it dies.
 *
 * @example
 * const holder = new StoreHolder(store, { ttlMs: 15_000 });
 * const grant = await holder.acquire([{ pool: 'sessions', limit: 100 }]);
 * // … on shutdown
 * await holder.stop();
 */
export class StoreHolder {
  readonly id: string;
  private readonly ttlMs: number;
  private readonly timer: NodeJS.Timeout;
  private readonly retryMs: number;
  private readonly onRenewFailed: ((error: unknown) => void) | undefined;
  /** Where the other processes reach this one, once it said (see {@link advertise}). */
  private address: string | null = null;
  /** Whether this process entered itself in the directory of live processes (see {@link join}). */
  private joined = false;

  constructor(
    readonly store: Store,
    options: StoreHolderOptions,
  ) {
    this.id = options.id ?? `process-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.ttlMs = options.ttlMs;
    this.onRenewFailed = options.onRenewFailed;
    this.retryMs = Math.max(10, Math.floor(this.ttlMs / 3));
    this.timer = setInterval(() => {
      store.renew(this.id, this.ttlMs).catch((error: unknown) => this.onRenewFailed?.(error));
      if (this.address !== null)
        store
          .put(addressKey(this.id), this.address, this.ttlMs)
          .catch((error: unknown) => this.onRenewFailed?.(error));
      // Claimed again, not only renewed: a store that was down or emptied at start has it anew.
      if (this.joined) this.join().catch((error: unknown) => this.onRenewFailed?.(error));
    }, this.retryMs);
    this.timer.unref();
  }

  /** Takes one slot in each pool, all or none. */
  acquire(pools: readonly PoolLimit[]): Promise<SlotGrant> {
    return this.store.acquire({ pools, holder: this.id, ttlMs: this.ttlMs });
  }

  /**
   * Gives a slot back. A release the store cannot take now is tried again, since a slot this
   * process keeps renewing would otherwise never lapse.
   */
  release(slotId: string): void {
    const attempt = (left: number): void => {
      this.store.release(slotId).catch((error: unknown) => {
        this.onRenewFailed?.(error);
        if (left > 0) setTimeout(() => attempt(left - 1), this.retryMs).unref();
      });
    };
    attempt(RELEASE_RETRIES);
  }

  /** Records that this process has an object; false when another process has it. */
  claim(kind: string, id: string): Promise<boolean> {
    return this.store.claim({ kind, id, holder: this.id, ttlMs: this.ttlMs });
  }

  /** Removes this process's directory entry for an object. */
  forget(kind: string, id: string): Promise<void> {
    return this.store.forget(kind, id, this.id);
  }

  /**
   * Keeps this process's entries of one kind in the directory as objects come and go; a failed
   * write is reported to `onFailed` (the entry lapses, or stays missing, until the next change).
   *
   * @example
   * const registry = new SessionRegistry({ tickMs, directory: holder.directory('session', log) });
   */
  directory(
    kind: string,
    onFailed: (error: unknown) => void,
  ): { entered(id: string): void; left(id: string): void } {
    return {
      entered: (id) => {
        this.claim(kind, id).catch(onFailed);
      },
      left: (id) => {
        this.forget(kind, id).catch(onFailed);
      },
    };
  }

  /**
   * Tells the other processes of the deployment where to reach this one (its internal
   * listener), for as long as it lives: the address is kept, like its slots, by renewal.
   */
  async advertise(url: string): Promise<void> {
    this.address = url;
    await this.store.put(addressKey(this.id), url, this.ttlMs);
  }

  /**
   * Enters this process in the directory of the deployment's live processes, for as long as it
   * renews: who is asked when a question goes to every node.
   */
  async join(): Promise<void> {
    this.joined = true;
    await this.claim(NODE_ENTRY, this.id);
  }

  /** The holder names of the deployment's live processes (this one included once it joined). */
  async nodes(): Promise<string[]> {
    return (await this.store.list(NODE_ENTRY)).map((entry) => entry.holder);
  }

  /** Where another process said it can be reached, or null when it said nothing or is gone. */
  addressOf(holder: string): Promise<string | null> {
    return this.store.get(addressKey(holder));
  }

  /** Stops renewing and gives back everything this process holds. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.joined = false;
    if (this.address !== null) await this.store.pop(addressKey(this.id));
    await this.store.dropHolder(this.id);
  }
}
