import type { DirectoryEntry, SlotGrant, SlotRequest, Store } from './store.js';
import { StoreError } from './store.js';
import { type BucketState, fullAt, takeToken } from './token-bucket.js';

/** Options for {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** The clock, for tests. */
  readonly now?: () => number;
  /** How often lapsed slots, entries, counters and full buckets are dropped. */
  readonly sweepMs?: number;
}

interface Slot {
  readonly pools: readonly string[];
  readonly holder: string;
  expiresAt: number;
}

interface Entry {
  readonly holder: string;
  expiresAt: number;
}

interface Bucket {
  state: BucketState;
  readonly capacity: number;
  readonly periodMs: number;
}

/** What one holder has, so renewing and dropping it touch nothing else. */
interface Holdings {
  readonly slots: Set<string>;
  readonly entries: Set<string>;
}

const KEY_SEPARATOR = '\u0000';
const directoryKey = (kind: string, id: string): string => `${kind}${KEY_SEPARATOR}${id}`;

/**
 * The store in this process's memory: the default for a single gateway process, and what a
 * cluster's primary serves its workers. Lapsed things are dropped by a sweep every `sweepMs`
 * (and a full pool looks for lapsed slots before it refuses), so memory stays bounded by what
 * is live.
 *
 * @example
 * const store = new MemoryStore();
 * const grant = await store.acquire({ pools: [{ pool: 'sessions', limit: 100 }], holder: 'p1', ttlMs: 15_000 });
 */
export class MemoryStore implements Store {
  private readonly now: () => number;
  private readonly counters = new Map<string, { value: number; expiresAt: number }>();
  private readonly values = new Map<string, { value: string; expiresAt: number }>();
  private readonly slots = new Map<string, Slot>();
  private readonly pools = new Map<string, Set<string>>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly directory = new Map<string, Entry>();
  private readonly holders = new Map<string, Holdings>();
  private readonly sweeper: NodeJS.Timeout;
  private nextSlot = 0;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), options.sweepMs ?? 1000);
    this.sweeper.unref();
  }

  async add(key: string, by: number, ttlMs?: number): Promise<number> {
    this.check();
    // As Redis's INCRBY: a store that took fractions here would differ from the shared one.
    if (!Number.isSafeInteger(by)) throw new StoreError(`A counter adds whole numbers, not ${by}.`);
    const now = this.now();
    let counter = this.counters.get(key);
    if (counter === undefined || counter.expiresAt <= now) {
      counter = { value: 0, expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs };
      this.counters.set(key, counter);
    }
    counter.value += by;
    return counter.value;
  }

  async read(key: string): Promise<number> {
    this.check();
    const counter = this.counters.get(key);
    return counter === undefined || counter.expiresAt <= this.now() ? 0 : counter.value;
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    this.check();
    this.values.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  async get(key: string): Promise<string | null> {
    this.check();
    const kept = this.values.get(key);
    return kept === undefined || kept.expiresAt <= this.now() ? null : kept.value;
  }

  async pop(key: string): Promise<string | null> {
    this.check();
    const kept = this.values.get(key);
    if (kept === undefined) return null;
    this.values.delete(key);
    return kept.expiresAt <= this.now() ? null : kept.value;
  }

  async acquire(request: SlotRequest): Promise<SlotGrant> {
    this.check();
    const now = this.now();
    for (const { pool, limit } of request.pools) {
      if (this.sizeOf(pool) < limit) continue;
      this.dropLapsed(pool, now);
      if (this.sizeOf(pool) >= limit) return { ok: false, pool };
    }
    const slotId = `slot-${++this.nextSlot}`;
    const pools = request.pools.map((p) => p.pool);
    this.slots.set(slotId, { pools, holder: request.holder, expiresAt: now + request.ttlMs });
    for (const pool of pools) {
      const members = this.pools.get(pool);
      if (members === undefined) this.pools.set(pool, new Set([slotId]));
      else members.add(slotId);
    }
    this.holdingsOf(request.holder).slots.add(slotId);
    return { ok: true, slotId };
  }

  async release(slotId: string): Promise<void> {
    this.check();
    this.dropSlot(slotId);
  }

  async count(pools: readonly string[]): Promise<number[]> {
    this.check();
    const now = this.now();
    return pools.map((pool) => {
      this.dropLapsed(pool, now);
      return this.sizeOf(pool);
    });
  }

  async take(bucket: string, capacity: number, periodMs: number): Promise<boolean> {
    this.check();
    const known = this.buckets.get(bucket);
    // A changed limit (a reloaded key) starts a fresh bucket rather than mixing two rates.
    const fresh = known === undefined || known.capacity !== capacity || known.periodMs !== periodMs;
    const result = takeToken(fresh ? undefined : known.state, capacity, periodMs, this.now());
    if (fresh) this.buckets.set(bucket, { state: result.state, capacity, periodMs });
    else known.state = result.state;
    return result.taken;
  }

  async claim(entry: DirectoryEntry): Promise<boolean> {
    this.check();
    const key = directoryKey(entry.kind, entry.id);
    const now = this.now();
    const existing = this.directory.get(key);
    if (existing !== undefined && existing.expiresAt > now && existing.holder !== entry.holder) return false;
    if (existing !== undefined) this.holders.get(existing.holder)?.entries.delete(key);
    this.directory.set(key, { holder: entry.holder, expiresAt: now + entry.ttlMs });
    this.holdingsOf(entry.holder).entries.add(key);
    return true;
  }

  async locate(kind: string, id: string): Promise<string | null> {
    this.check();
    const entry = this.directory.get(directoryKey(kind, id));
    return entry === undefined || entry.expiresAt <= this.now() ? null : entry.holder;
  }

  async forget(kind: string, id: string, holder: string): Promise<void> {
    this.check();
    const key = directoryKey(kind, id);
    if (this.directory.get(key)?.holder !== holder) return;
    this.directory.delete(key);
    this.holders.get(holder)?.entries.delete(key);
  }

  async list(kind: string): Promise<{ readonly id: string; readonly holder: string }[]> {
    this.check();
    const now = this.now();
    const head = `${kind}${KEY_SEPARATOR}`;
    const live: { id: string; holder: string }[] = [];
    for (const [key, entry] of this.directory)
      if (key.startsWith(head) && entry.expiresAt > now)
        live.push({ id: key.slice(head.length), holder: entry.holder });
    return live;
  }

  async renew(holder: string, ttlMs: number): Promise<void> {
    this.check();
    const holdings = this.holders.get(holder);
    if (holdings === undefined) return;
    const now = this.now();
    // What lapsed before the renewal is gone, as it would be in a store that expires keys itself.
    for (const slotId of [...holdings.slots]) {
      const slot = this.slots.get(slotId);
      if (slot === undefined) continue;
      if (slot.expiresAt <= now) this.dropSlot(slotId);
      else slot.expiresAt = now + ttlMs;
    }
    for (const key of [...holdings.entries]) {
      const entry = this.directory.get(key);
      if (entry === undefined) continue;
      if (entry.expiresAt <= now) {
        this.directory.delete(key);
        this.releaseHolding(holder, (held) => held.entries.delete(key));
      } else entry.expiresAt = now + ttlMs;
    }
  }

  async dropHolder(holder: string): Promise<void> {
    this.check();
    const holdings = this.holders.get(holder);
    if (holdings === undefined) return;
    for (const slotId of [...holdings.slots]) this.dropSlot(slotId);
    for (const key of holdings.entries) this.directory.delete(key);
    this.holders.delete(holder);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
  }

  /** Drops everything that has lapsed; run by the sweep timer. */
  sweep(): void {
    const now = this.now();
    for (const [slotId, slot] of this.slots) if (slot.expiresAt <= now) this.dropSlot(slotId);
    for (const [key, entry] of this.directory) {
      if (entry.expiresAt > now) continue;
      this.directory.delete(key);
      this.releaseHolding(entry.holder, (holdings) => holdings.entries.delete(key));
    }
    for (const [key, counter] of this.counters) if (counter.expiresAt <= now) this.counters.delete(key);
    for (const [key, kept] of this.values) if (kept.expiresAt <= now) this.values.delete(key);
    for (const [key, bucket] of this.buckets)
      if (fullAt(bucket.state, bucket.capacity, bucket.periodMs) <= now) this.buckets.delete(key);
  }

  private check(): void {
    if (this.closed) throw new StoreError('The store is closed.');
  }

  private sizeOf(pool: string): number {
    return this.pools.get(pool)?.size ?? 0;
  }

  private dropLapsed(pool: string, now: number): void {
    const members = this.pools.get(pool);
    if (members === undefined) return;
    for (const slotId of [...members]) {
      if ((this.slots.get(slotId)?.expiresAt ?? 0) <= now) this.dropSlot(slotId);
    }
  }

  private dropSlot(slotId: string): void {
    const slot = this.slots.get(slotId);
    if (slot === undefined) return;
    this.slots.delete(slotId);
    for (const pool of slot.pools) {
      const members = this.pools.get(pool);
      members?.delete(slotId);
      if (members?.size === 0) this.pools.delete(pool);
    }
    this.releaseHolding(slot.holder, (holdings) => holdings.slots.delete(slotId));
  }

  private holdingsOf(holder: string): Holdings {
    const known = this.holders.get(holder);
    if (known !== undefined) return known;
    const holdings: Holdings = { slots: new Set(), entries: new Set() };
    this.holders.set(holder, holdings);
    return holdings;
  }

  /** Applies `change` to a holder's holdings, forgetting the holder once it has nothing. */
  private releaseHolding(holder: string, change: (holdings: Holdings) => void): void {
    const holdings = this.holders.get(holder);
    if (holdings === undefined) return;
    change(holdings);
    if (holdings.slots.size === 0 && holdings.entries.size === 0) this.holders.delete(holder);
  }
}
