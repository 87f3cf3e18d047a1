/**
 * The store in Redis, shared by every node of a deployment. Each operation is one atomic
 * command or Lua script (see `redis-scripts.ts` for the key layout), timed by the server's
 * clock. While Redis is unreachable every operation fails at once with a {@link StoreError}
 * (admission refuses rather than guess) and the connection comes back by itself.
 *
 * Redis may restart without its data while sessions live on. So this process remembers what
 * the holders it served have (slots and entries, until released, forgotten or dropped), and
 * each {@link RedisStore.renew} asserts them again: within one renewal after Redis is back, the
 * pools count the live sessions again.
 */
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_KEY_PREFIX,
  RedisConnection,
  type RedisConnectionOptions,
  type RedisStatus,
  type RedisTlsOptions,
} from './redis-connection.js';
import {
  ACQUIRE,
  ADD,
  CLAIM,
  COUNT,
  DROP_HOLDER,
  evalScript,
  FORGET,
  LIST,
  RELEASE,
  RENEW,
  type Script,
  TAKE,
} from './redis-scripts.js';
import { type DirectoryEntry, type SlotGrant, type SlotRequest, type Store, StoreError } from './store.js';

export type { RedisStatus, RedisTlsOptions };

/** Options for {@link RedisStore}; see {@link RedisConnectionOptions}. */
export interface RedisStoreOptions extends RedisConnectionOptions {}

/** How long a dropped holder is remembered: far longer than any holder waits between renewals. */
const DROPPED_MEMORY_MS = 10 * 60_000;

/** What this process knows one holder has: slot id → its pools' keys (JSON), and entries. */
interface Mirror {
  readonly slots: Map<string, string>;
  readonly entries: Set<string>;
}

/** A time to live as Redis takes it: whole milliseconds, at least one. */
const ttl = (ms: number): number => Math.max(1, Math.ceil(ms));

/** A directory entry's name in the layout, `<kind>:<id>`; the kind escaped so it holds no `:`. */
const entryName = (kind: string, id: string): string => `${encodeURIComponent(kind)}:${id}`;

/**
 * Deployment-wide state in Redis. See the module comment.
 *
 * @example
 * const store = new RedisStore({ url: 'redis://redis:6379', timeoutMs: 1000, onStatus: (s) => log.info(s) });
 * const grant = await store.acquire({ pools: [{ pool: 'sessions', limit: 100 }], holder, ttlMs: 15_000 });
 */
export class RedisStore implements Store {
  private readonly connection: RedisConnection;
  private readonly prefix: string;
  private readonly mirrors = new Map<string, Mirror>();
  /** Slot id → its holder, for a release that names only the slot. */
  private readonly slotHolders = new Map<string, string>();

  constructor(options: RedisStoreOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.connection = new RedisConnection(options);
  }

  /** True while connected to Redis and ready. */
  get available(): boolean {
    return this.connection.available;
  }

  /** Resolves once connected (a {@link StoreError} if not within `withinMs`); calling it is optional. */
  ready(withinMs?: number): Promise<void> {
    return this.connection.ready(withinMs);
  }

  /** Counters add whole numbers (INCRBY); a fraction is refused. */
  async add(key: string, by: number, ttlMs?: number): Promise<number> {
    if (!Number.isSafeInteger(by)) throw new StoreError(`A counter adds whole numbers, not ${by}.`);
    const value = await this.script(
      'add to a counter',
      ADD,
      [this.key('counter:', key)],
      [by, ttlMs === undefined ? '' : ttl(ttlMs)],
    );
    return Number(value);
  }

  async read(key: string): Promise<number> {
    const value = await this.connection.run('read a counter', (redis) =>
      redis.get(this.key('counter:', key)),
    );
    return value === null ? 0 : Number(value);
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    await this.connection.run('keep a value', (redis) =>
      redis.set(this.key('value:', key), value, 'PX', ttl(ttlMs)),
    );
  }

  async get(key: string): Promise<string | null> {
    return this.connection.run('read a value', (redis) => redis.get(this.key('value:', key)));
  }

  async pop(key: string): Promise<string | null> {
    return this.connection.run('take a value', (redis) => redis.getdel(this.key('value:', key)));
  }

  async acquire(request: SlotRequest): Promise<SlotGrant> {
    // Unique across processes, unlike the memory store's counter.
    const slotId = randomUUID();
    const keys = request.pools.map(({ pool }) => this.key('pool:', pool));
    const answer = Number(
      await this.script('take a slot', ACQUIRE, keys, [
        this.prefix,
        slotId,
        request.holder,
        ttl(request.ttlMs),
        ...request.pools.map(({ limit }) => limit),
      ]),
    );
    if (answer > 0) return { ok: false, pool: request.pools[answer - 1]!.pool };
    if (answer < 0) this.forgetHolder(request.holder);
    this.mirrorOf(request.holder).slots.set(slotId, JSON.stringify(keys));
    this.slotHolders.set(slotId, request.holder);
    return { ok: true, slotId };
  }

  async release(slotId: string): Promise<void> {
    await this.script('give back a slot', RELEASE, [this.key('slot:', slotId)], [this.prefix, slotId]);
    const holder = this.slotHolders.get(slotId);
    if (holder === undefined) return;
    this.slotHolders.delete(slotId);
    this.unmirror(holder, (mirror) => mirror.slots.delete(slotId));
  }

  async count(pools: readonly string[]): Promise<number[]> {
    const counts = await this.script(
      'count slots',
      COUNT,
      pools.map((pool) => this.key('pool:', pool)),
      [],
    );
    return (counts as unknown[]).map(Number);
  }

  async take(bucket: string, capacity: number, periodMs: number): Promise<boolean> {
    const taken = await this.script(
      'take a token',
      TAKE,
      [this.key('bucket:', bucket)],
      [capacity, periodMs],
    );
    return Number(taken) === 1;
  }

  async claim(entry: DirectoryEntry): Promise<boolean> {
    const name = entryName(entry.kind, entry.id);
    const answer = Number(
      await this.script('claim an entry', CLAIM, this.entryKeys(entry.kind, entry.id, entry.holder), [
        this.prefix,
        entry.holder,
        ttl(entry.ttlMs),
        entry.id,
        name,
      ]),
    );
    if (answer === 0) return false;
    if (answer === 2) this.forgetHolder(entry.holder);
    this.mirrorOf(entry.holder).entries.add(name);
    return true;
  }

  async locate(kind: string, id: string): Promise<string | null> {
    return this.connection.run('locate an entry', (redis) =>
      redis.get(this.key('dir:', entryName(kind, id))),
    );
  }

  async forget(kind: string, id: string, holder: string): Promise<void> {
    const name = entryName(kind, id);
    await this.script('forget an entry', FORGET, this.entryKeys(kind, id, holder), [holder, id, name]);
    this.unmirror(holder, (mirror) => mirror.entries.delete(name));
  }

  async list(kind: string): Promise<{ readonly id: string; readonly holder: string }[]> {
    const kindName = encodeURIComponent(kind);
    const flat = (await this.script(
      'list entries',
      LIST,
      [this.key('dirkind:', kindName)],
      [this.prefix, kindName],
    )) as string[];
    const live: { id: string; holder: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) live.push({ id: flat[i]!, holder: flat[i + 1]! });
    return live;
  }

  async renew(holder: string, ttlMs: number): Promise<void> {
    const mirror = this.mirrors.get(holder);
    const slots = [...(mirror?.slots ?? [])];
    const renewed = await this.script(
      'renew a holder',
      RENEW,
      [],
      [this.prefix, holder, ttl(ttlMs), slots.length, ...slots.flat(), ...(mirror?.entries ?? [])],
    );
    // Another process dropped the holder: what it had is gone, as in the memory store.
    if (Number(renewed) === 0) this.forgetHolder(holder);
  }

  async dropHolder(holder: string): Promise<void> {
    await this.script('drop a holder', DROP_HOLDER, [], [this.prefix, holder, DROPPED_MEMORY_MS]);
    this.forgetHolder(holder);
  }

  async close(): Promise<void> {
    this.mirrors.clear();
    this.slotHolders.clear();
    await this.connection.close();
  }

  private key(kind: string, name: string): string {
    return `${this.prefix}${kind}${name}`;
  }

  /** An entry's key, its kind's index and its holder's entries: the keys of claim and forget. */
  private entryKeys(kind: string, id: string, holder: string): string[] {
    return [
      this.key('dir:', entryName(kind, id)),
      this.key('dirkind:', encodeURIComponent(kind)),
      this.key('holder:', `${holder}:entries`),
    ];
  }

  private script(
    what: string,
    script: Script,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    return this.connection.run(what, (redis) => evalScript(redis, script, keys, args));
  }

  private mirrorOf(holder: string): Mirror {
    const known = this.mirrors.get(holder);
    if (known !== undefined) return known;
    const mirror: Mirror = { slots: new Map(), entries: new Set() };
    this.mirrors.set(holder, mirror);
    return mirror;
  }

  /** Applies `change` to a holder's mirror, forgetting the holder once it has nothing. */
  private unmirror(holder: string, change: (mirror: Mirror) => void): void {
    const mirror = this.mirrors.get(holder);
    if (mirror === undefined) return;
    change(mirror);
    if (mirror.slots.size === 0 && mirror.entries.size === 0) this.mirrors.delete(holder);
  }

  private forgetHolder(holder: string): void {
    const mirror = this.mirrors.get(holder);
    if (mirror === undefined) return;
    for (const slotId of mirror.slots.keys()) this.slotHolders.delete(slotId);
    this.mirrors.delete(holder);
  }
}
