/**
 * The store: state that must mean the same for the whole deployment, whichever process holds a
 * session. Concurrent-session slots, rate-limit buckets, counters and the directory of who holds
 * what live here instead of in a process's memory, so a limit of 2 is 2 with one process or N.
 *
 * Values kept under a key (`put`, `pop`) carry what a later request on any process needs, such
 * as the session a client secret was minted for.
 *
 * Every operation is asynchronous and takes plain data, so an implementation may sit in this
 * process ({@link MemoryStore}), in a cluster's primary (the workers' store), or in a server
 * such as Redis. Each operation is atomic on its own.
 *
 * Slots and directory entries belong to a holder (one gateway process). A holder renews what it
 * has with {@link Store.renew}; what is not renewed within its time to live lapses, so a process
 * that dies frees its slots without anyone's help.
 */

/** One of the pools a {@link Store.acquire} takes a slot in. */
export interface PoolLimit {
  /** The pool's name: `sessions`, `key:<id>`, `upstream:<name>`. */
  readonly pool: string;
  /** How many slots the pool has. */
  readonly limit: number;
}

/** What {@link Store.acquire} asks for: one slot in each pool, all or none. */
export interface SlotRequest {
  readonly pools: readonly PoolLimit[];
  /** The process taking the slot. */
  readonly holder: string;
  /** How long the slot lives unless its holder renews it. */
  readonly ttlMs: number;
}

/** The answer of {@link Store.acquire}. */
export type SlotGrant =
  | { readonly ok: true; readonly slotId: string }
  /** `pool` had no free slot; nothing was taken. */
  | { readonly ok: false; readonly pool: string };

/** The directory kind a live session is entered under. */
export const SESSION_ENTRY = 'session';
/** The directory kind a call the gateway terminates is entered under. */
export const CALL_ENTRY = 'call';

/** One entry of the directory: which holder has an object (a session, a call, a client secret). */
export interface DirectoryEntry {
  /** {@link SESSION_ENTRY}, {@link CALL_ENTRY}. */
  readonly kind: string;
  readonly id: string;
  readonly holder: string;
  /** How long the entry lives unless its holder renews it. */
  readonly ttlMs: number;
}

/**
 * Deployment-wide state. See the module comment.
 *
 * @example
 * const grant = await store.acquire({ pools: [{ pool: 'key:team-a', limit: 2 }], holder, ttlMs: 15_000 });
 * if (!grant.ok) return refuse();
 * // … when the session ends
 * await store.release(grant.slotId);
 */
export interface Store {
  /**
   * Adds `by` to a counter and answers the new value. A counter that does not exist starts at
   * zero and, with `ttlMs`, lapses that long after it was created (a fixed window). Counters
   * hold whole numbers: a fraction is refused with a {@link StoreError}.
   */
  add(key: string, by: number, ttlMs?: number): Promise<number>;
  /** A counter's value: 0 when it does not exist or has lapsed. */
  read(key: string): Promise<number>;
  /** Keeps `value` under `key` for `ttlMs`, replacing what was there. */
  put(key: string, value: string, ttlMs: number): Promise<void>;
  /** The value under `key`, left in place; null when there is none or it has lapsed. */
  get(key: string): Promise<string | null>;
  /**
   * Takes the value under `key` and removes it, in one step: of two callers at once, only one
   * gets it (a single-use client secret). Null when there is none or it has lapsed.
   */
  pop(key: string): Promise<string | null>;
  /** Takes one slot in every pool of the request, or none when any pool is full. */
  acquire(request: SlotRequest): Promise<SlotGrant>;
  /** Gives back a slot taken with {@link acquire}; releasing twice is harmless. */
  release(slotId: string): Promise<void>;
  /** Slots taken and not lapsed, per pool, in the order asked. */
  count(pools: readonly string[]): Promise<number[]>;
  /**
   * Takes a token from a bucket holding at most `capacity`, refilled evenly over `periodMs`
   * (a full bucket to start with); false when it is empty.
   */
  take(bucket: string, capacity: number, periodMs: number): Promise<boolean>;
  /** Records that a holder has an object; false (and nothing changed) when another holder has it. */
  claim(entry: DirectoryEntry): Promise<boolean>;
  /** The holder of an object, or null. */
  locate(kind: string, id: string): Promise<string | null>;
  /** Removes an entry, if `holder` has it. */
  forget(kind: string, id: string, holder: string): Promise<void>;
  /** The live (not lapsed) entries of one kind, in no particular order. */
  list(kind: string): Promise<{ readonly id: string; readonly holder: string }[]>;
  /** Extends the life of every slot and directory entry `holder` has to `ttlMs` from now. */
  renew(holder: string, ttlMs: number): Promise<void>;
  /** Drops every slot and directory entry of a holder that is known to be gone. */
  dropHolder(holder: string): Promise<void>;
  /** Frees the store's resources; the store answers nothing afterwards. */
  close(): Promise<void>;
}

/** The operations of a {@link Store}, by name: what may cross a process boundary. */
export const STORE_OPERATIONS = [
  'add',
  'read',
  'put',
  'get',
  'pop',
  'acquire',
  'release',
  'count',
  'take',
  'claim',
  'locate',
  'forget',
  'list',
  'renew',
  'dropHolder',
] as const satisfies readonly (keyof Store)[];

export type StoreOperation = (typeof STORE_OPERATIONS)[number];

/** The store could not answer (unreachable, timed out, closed). Admission refuses rather than guess. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}
