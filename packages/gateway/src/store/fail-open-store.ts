/**
 * `store.onUnavailable: fail-open`: while the shared store (Redis) cannot answer, every
 * operation is answered from this process's memory instead, so admission goes on with this
 * node's own counts. What that risks, in the README's "Deployment": a limit of N holds per node
 * rather than for the deployment, a rate limit likewise, a client secret minted meanwhile works
 * on this node only, and spend counted meanwhile is not seen by the other nodes' budgets.
 *
 * A slot taken from memory is named so (`local:`), so its release goes where it was taken.
 */
import { MemoryStore } from './memory-store.js';
import type { DirectoryEntry, SlotGrant, SlotRequest, Store } from './store.js';
import { StoreError } from './store.js';

const LOCAL = 'local:';

/**
 * A store that falls back to memory, operation by operation, while the shared one fails.
 *
 * @example
 * const store = config.store.onUnavailable === 'fail-open' ? new FailOpenStore(redis) : redis;
 */
export class FailOpenStore implements Store {
  constructor(
    private readonly shared: Store,
    private readonly local: Store = new MemoryStore(),
    /** Told each time an operation is answered from memory (for a counter; never a log line each). */
    private readonly onFallback: (operation: string) => void = () => {},
  ) {}

  /** The shared store's answer, or the local one's when the shared store cannot give it. */
  private async either<T>(operation: string, run: (store: Store) => Promise<T>): Promise<T> {
    try {
      return await run(this.shared);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      this.onFallback(operation);
      return run(this.local);
    }
  }

  add(key: string, by: number, ttlMs?: number): Promise<number> {
    return this.either('add', (s) => s.add(key, by, ttlMs));
  }
  read(key: string): Promise<number> {
    return this.either('read', (s) => s.read(key));
  }
  put(key: string, value: string, ttlMs: number): Promise<void> {
    return this.either('put', (s) => s.put(key, value, ttlMs));
  }
  get(key: string): Promise<string | null> {
    return this.either('get', (s) => s.get(key));
  }
  async pop(key: string): Promise<string | null> {
    // What was put here while the shared store was down is here only.
    return (await this.either('pop', (s) => s.pop(key))) ?? this.local.pop(key);
  }

  async acquire(request: SlotRequest): Promise<SlotGrant> {
    try {
      return await this.shared.acquire(request);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      this.onFallback('acquire');
      const grant = await this.local.acquire(request);
      return grant.ok ? { ok: true, slotId: `${LOCAL}${grant.slotId}` } : grant;
    }
  }

  release(slotId: string): Promise<void> {
    return slotId.startsWith(LOCAL)
      ? this.local.release(slotId.slice(LOCAL.length))
      : this.shared.release(slotId);
  }

  count(pools: readonly string[]): Promise<number[]> {
    return this.either('count', (s) => s.count(pools));
  }
  take(bucket: string, capacity: number, periodMs: number): Promise<boolean> {
    return this.either('take', (s) => s.take(bucket, capacity, periodMs));
  }
  claim(entry: DirectoryEntry): Promise<boolean> {
    return this.either('claim', (s) => s.claim(entry));
  }
  locate(kind: string, id: string): Promise<string | null> {
    return this.either('locate', (s) => s.locate(kind, id));
  }
  list(kind: string): Promise<{ readonly id: string; readonly holder: string }[]> {
    return this.either('list', (s) => s.list(kind));
  }
  async forget(kind: string, id: string, holder: string): Promise<void> {
    await this.local.forget(kind, id, holder);
    await this.shared.forget(kind, id, holder);
  }

  /** Renews both: what was taken in memory while the shared store was down lives there. */
  async renew(holder: string, ttlMs: number): Promise<void> {
    await this.local.renew(holder, ttlMs);
    await this.shared.renew(holder, ttlMs);
  }

  async dropHolder(holder: string): Promise<void> {
    await this.local.dropHolder(holder);
    await this.shared.dropHolder(holder);
  }

  async close(): Promise<void> {
    await Promise.all([this.local.close(), this.shared.close()]);
  }
}
