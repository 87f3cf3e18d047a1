/**
 * The Lua scripts of the {@link RedisStore}: each store operation that reads before it writes
 * runs as one script, so it is atomic in Redis whichever gateways ask at once. Times come from
 * the server (`TIME`), so gateways whose clocks disagree still agree on what has lapsed.
 *
 * Key layout, under the store's prefix `P`:
 *
 * - `P counter:<key>`: a counter (INCRBY; a time to live set when it is created);
 * - `P value:<key>`: a value (SET PX; GETDEL for `pop`);
 * - `P pool:<name>`: a pool, a sorted set of slot ids scored by when they lapse (ms);
 * - `P slot:<id>`: a slot, a hash of its holder and its pools' keys (JSON), lapsing with it;
 * - `P bucket:<name>`: a token bucket, a hash of tokens, when, capacity and period, lapsing when full;
 * - `P dir:<kind>:<id>`: a directory entry, its holder, lapsing with it;
 * - `P dirkind:<kind>`: the ids entered under one kind, scored by when they lapse;
 * - `P holder:<holder>:slots`, `P holder:<holder>:entries`: what a holder has (slot ids;
 *   `<kind>:<id>`), so renewing and dropping it reach everything;
 * - `P dropped:<holder>`: a holder some process dropped, until it learns so (see `renew`).
 *
 * Some scripts derive keys from what they read (a slot's pools, a holder's entries), so the
 * store needs one Redis server (with replicas, if any), not Redis Cluster.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script, run by its digest and sent in full only when the server does not know it. */
export interface Script {
  readonly lua: string;
  readonly sha: string;
}

/** The helpers every script starts with. */
const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Keeps a shared key (a pool, an index) alive at least ttl ms, never shortening it.
local function extend(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

function script(body: string): Script {
  const lua = `${PRELUDE}${body}`;
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Runs `script` with its keys and arguments: EVALSHA, then EVAL when the server has not seen it
 * (a restarted Redis forgets its scripts).
 *
 * @example
 * const granted = await evalScript(redis, ACQUIRE, poolKeys, [prefix, slotId, holder, ttlMs]);
 */
export async function evalScript(
  client: Redis,
  { lua, sha }: Script,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(lua, keys.length, ...keys, ...args);
  }
}

/** KEYS[1] the counter; ARGV by, ttl ('' for none). The new value. */
export const ADD = script(`
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
-- A fixed window: the time to live runs from the counter's creation, not from each add.
if created and ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
`);

/**
 * KEYS the pools; ARGV prefix, slot id, holder, ttl, then each pool's limit. 0 when granted,
 * -1 when granted to a holder that had been dropped, else the 1-based index of the full pool.
 */
export const ACQUIRE = script(`
local prefix, id, holder, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local now = now_ms()
for i, pool in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', pool, '-inf', now)
  if redis.call('ZCARD', pool) >= tonumber(ARGV[4 + i]) then return i end
end
for _, pool in ipairs(KEYS) do
  redis.call('ZADD', pool, now + ttl, id)
  extend(pool, ttl)
end
local slot = prefix .. 'slot:' .. id
redis.call('HSET', slot, 'holder', holder, 'pools', cjson.encode(KEYS))
redis.call('PEXPIRE', slot, ttl)
local held = prefix .. 'holder:' .. holder .. ':slots'
redis.call('SADD', held, id)
extend(held, ttl)
return -redis.call('DEL', prefix .. 'dropped:' .. holder)
`);

/** KEYS[1] the slot; ARGV prefix, slot id. */
export const RELEASE = script(`
local record = redis.call('HMGET', KEYS[1], 'holder', 'pools')
if not record[1] then return 0 end
for _, pool in ipairs(cjson.decode(record[2])) do redis.call('ZREM', pool, ARGV[2]) end
redis.call('SREM', ARGV[1] .. 'holder:' .. record[1] .. ':slots', ARGV[2])
redis.call('DEL', KEYS[1])
return 1
`);

/** KEYS the pools. Their live slots, in order. */
export const COUNT = script(`
local now = now_ms()
local counts = {}
for i, pool in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', pool, '-inf', now)
  counts[i] = redis.call('ZCARD', pool)
end
return counts
`);

/**
 * KEYS[1] the bucket; ARGV capacity, period. 1 when a token was taken. The arithmetic of
 * `token-bucket.ts`: full to start with, refilled evenly, a changed rate starts afresh, a clock
 * that goes back refills nothing; the key lapses when the bucket would be full again.
 */
export const TAKE = script(`
local capacity, period = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = now_ms()
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'capacity', 'period')
local tokens = capacity
if b[1] and tonumber(b[3]) == capacity and tonumber(b[4]) == period then
  tokens = math.min(capacity, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * capacity / period)
end
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', now, 'capacity', ARGV[1], 'period', ARGV[2])
local full = math.ceil((capacity - tokens) * period / capacity)
if full ~= full or full < 1 then full = 1 end
redis.call('PEXPIRE', KEYS[1], full)
return taken
`);

/**
 * KEYS[1] the entry, KEYS[2] its kind's index, KEYS[3] the holder's entries; ARGV prefix,
 * holder, ttl, id, `<kind>:<id>`. 0 when another holder has it, 1 when claimed, 2 when claimed
 * by a holder that had been dropped.
 */
export const CLAIM = script(`
local prefix, holder, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local current = redis.call('GET', KEYS[1])
if current and current ~= holder then return 0 end
redis.call('SET', KEYS[1], holder, 'PX', ttl)
redis.call('ZADD', KEYS[2], now_ms() + ttl, ARGV[4])
extend(KEYS[2], ttl)
redis.call('SADD', KEYS[3], ARGV[5])
extend(KEYS[3], ttl)
return 1 + redis.call('DEL', prefix .. 'dropped:' .. holder)
`);

/** KEYS[1] the entry, KEYS[2] its kind's index, KEYS[3] the holder's entries; ARGV holder, id, `<kind>:<id>`. */
export const FORGET = script(`
redis.call('SREM', KEYS[3], ARGV[3])
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`);

/** KEYS[1] the kind's index; ARGV prefix, kind. Flat id, holder pairs of the live entries. */
export const LIST = script(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms())
local live = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local holder = redis.call('GET', ARGV[1] .. 'dir:' .. ARGV[2] .. ':' .. id)
  if holder then
    live[#live + 1] = id
    live[#live + 1] = holder
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return live
`);

/**
 * ARGV prefix, holder, ttl, n, then n pairs of slot id and its pools' keys (JSON), then
 * `<kind>:<id>` entries: what this process knows the holder has. 0 when the holder had been
 * dropped (nothing renewed: what it had is gone), else 1.
 *
 * Extends what Redis says the holder has and has not lapsed, then asserts again what the
 * process knows it has, ignoring limits (those sessions are live): a Redis restarted without
 * persistence gets the holder's slots and entries back at its next renewal. An entry another
 * holder has claimed in between stays theirs.
 */
export const RENEW = script(`
local prefix, holder, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('DEL', prefix .. 'dropped:' .. holder) == 1 then return 0 end
local expires = now_ms() + ttl
local slots = prefix .. 'holder:' .. holder .. ':slots'
local entries = prefix .. 'holder:' .. holder .. ':entries'
local function keep_slot(id, pools)
  local key = prefix .. 'slot:' .. id
  redis.call('HSET', key, 'holder', holder, 'pools', pools)
  redis.call('PEXPIRE', key, ttl)
  for _, pool in ipairs(cjson.decode(pools)) do
    redis.call('ZADD', pool, expires, id)
    extend(pool, ttl)
  end
  redis.call('SADD', slots, id)
end
local function keep_entry(entry)
  local key = prefix .. 'dir:' .. entry
  local current = redis.call('GET', key)
  if current and current ~= holder then
    redis.call('SREM', entries, entry)
    return
  end
  local colon = string.find(entry, ':', 1, true)
  local index = prefix .. 'dirkind:' .. string.sub(entry, 1, colon - 1)
  redis.call('SET', key, holder, 'PX', ttl)
  redis.call('ZADD', index, expires, string.sub(entry, colon + 1))
  extend(index, ttl)
  redis.call('SADD', entries, entry)
end
for _, id in ipairs(redis.call('SMEMBERS', slots)) do
  local pools = redis.call('HGET', prefix .. 'slot:' .. id, 'pools')
  if pools then keep_slot(id, pools) else redis.call('SREM', slots, id) end
end
for _, entry in ipairs(redis.call('SMEMBERS', entries)) do
  if redis.call('GET', prefix .. 'dir:' .. entry) == holder then keep_entry(entry)
  else redis.call('SREM', entries, entry) end
end
local n = tonumber(ARGV[4])
for i = 0, n - 1 do keep_slot(ARGV[5 + 2 * i], ARGV[6 + 2 * i]) end
for i = 5 + 2 * n, #ARGV do keep_entry(ARGV[i]) end
extend(slots, ttl)
extend(entries, ttl)
return 1
`);

/**
 * ARGV prefix, holder, how long to remember the drop. Removes every slot and entry of the
 * holder, and leaves a mark so that a holder still alive does not assert them again (`renew`).
 */
export const DROP_HOLDER = script(`
local prefix, holder = ARGV[1], ARGV[2]
local slots = prefix .. 'holder:' .. holder .. ':slots'
local entries = prefix .. 'holder:' .. holder .. ':entries'
for _, id in ipairs(redis.call('SMEMBERS', slots)) do
  local key = prefix .. 'slot:' .. id
  local pools = redis.call('HGET', key, 'pools')
  if pools then
    for _, pool in ipairs(cjson.decode(pools)) do redis.call('ZREM', pool, id) end
  end
  redis.call('DEL', key)
end
for _, entry in ipairs(redis.call('SMEMBERS', entries)) do
  local key = prefix .. 'dir:' .. entry
  if redis.call('GET', key) == holder then
    local colon = string.find(entry, ':', 1, true)
    redis.call('DEL', key)
    redis.call('ZREM', prefix .. 'dirkind:' .. string.sub(entry, 1, colon - 1), string.sub(entry, colon + 1))
  end
end
redis.call('DEL', slots, entries)
redis.call('SET', prefix .. 'dropped:' .. holder, '1', 'PX', ARGV[3])
return 1
`);
