/**
 * The Redis store against a real redis-server (one for the file, a key prefix per test): the
 * memory store's semantics, atomicity under several store instances at once, holders that
 * survive a Redis restart through renewal, a password, TLS with client certificates, and failing
 * fast while Redis is down.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBus } from '../src/store/redis-bus.js';
import { RedisStore, type RedisStoreOptions } from '../src/store/redis-store.js';
import { type SlotGrant, StoreError } from '../src/store/store.js';
import { createAuthority, issueCertificate } from '../src/tls/certificates.js';
import { eventually } from './support/harness.js';
import { redisOrSkip, type TestRedis } from './support/redis.js';

const TIMEOUT_MS = 500;
const PREFIX_ROOT = `test-${process.pid}-`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: TestRedis | null | undefined;
let prefixes = 0;
after(async () => {
  await server?.close();
});

/** `n` stores on the file's server under one fresh prefix, closed after the test; null when skipped. */
async function storesFor(
  t: TestContext,
  n: number,
  options: Partial<RedisStoreOptions> = {},
): Promise<RedisStore[] | null> {
  server ??= await redisOrSkip(t);
  if (server === null) return null;
  const keyPrefix = `${PREFIX_ROOT}${++prefixes}:`;
  const made = Array.from(
    { length: n },
    () => new RedisStore({ url: server!.url, keyPrefix, timeoutMs: TIMEOUT_MS, ...options }),
  );
  t.after(() => Promise.all(made.map((store) => store.close())));
  await Promise.all(made.map((store) => store.ready()));
  return made;
}

function slotOf(grant: SlotGrant): string {
  assert.ok(grant.ok, `expected a slot, the pool ${grant.ok ? '' : grant.pool} was full`);
  return grant.slotId;
}

const byId = (entries: { id: string; holder: string }[]) =>
  [...entries].sort((a, b) => a.id.localeCompare(b.id));

describe('RedisStore counters', () => {
  it('adds, reads, and lapses a counter a fixed time after it was created', async (t) => {
    const [store] = (await storesFor(t, 1)) ?? [];
    if (store === undefined) return;
    assert.equal(await store.read('tokens'), 0);
    assert.equal(await store.add('tokens', 5, 400), 5);
    await sleep(200);
    assert.equal(await store.add('tokens', 2, 400), 7, 'the window does not move with each add');
    await sleep(250);
    assert.equal(await store.read('tokens'), 0, 'lapsed 400 ms after it was created');
    assert.equal(await store.add('tokens', 1, 400), 1, 'a lapsed counter starts again at zero');
    assert.equal(await store.add('forever', 3), 3);
    assert.equal(await store.add('forever', -1), 2);
    await assert.rejects(store.add('forever', 0.5), StoreError, 'counters add whole numbers');
  });

  it('adds from two stores at once sum exactly', async (t) => {
    const stores = await storesFor(t, 2);
    if (stores === null) return;
    await Promise.all(
      Array.from({ length: 100 }, (_, k) => stores[k % 2]!.add('shared', k % 2 === 0 ? 1 : 2, 60_000)),
    );
    assert.equal(await stores[0]!.read('shared'), 150);
  });
});

describe('RedisStore values', () => {
  it('keeps a value until it lapses, reads it without taking it, and replaces it', async (t) => {
    const [store] = (await storesFor(t, 1)) ?? [];
    if (store === undefined) return;
    assert.equal(await store.get('address:a'), null);
    await store.put('address:a', 'http://127.0.0.1:1', 150);
    assert.equal(await store.get('address:a'), 'http://127.0.0.1:1');
    assert.equal(await store.get('address:a'), 'http://127.0.0.1:1', 'reading leaves it');
    await sleep(200);
    assert.equal(await store.get('address:a'), null, 'a lapsed value is gone');
    await store.put('c', 'old', 1000);
    await store.put('c', 'new', 1000);
    assert.equal(await store.pop('c'), 'new');
    assert.equal(await store.pop('c'), null);
  });

  it('of 20 pops from 3 stores at once, exactly one gets the value', async (t) => {
    const stores = await storesFor(t, 3);
    if (stores === null) return;
    await stores[0]!.put('secret', '{"model":"m"}', 10_000);
    const popped = await Promise.all(Array.from({ length: 20 }, (_, k) => stores[k % 3]!.pop('secret')));
    assert.deepEqual(
      popped.filter((value) => value !== null),
      ['{"model":"m"}'],
    );
  });
});

describe('RedisStore slots', () => {
  it('takes one slot in every pool or none, and names the full pool', async (t) => {
    const [store] = (await storesFor(t, 1)) ?? [];
    if (store === undefined) return;
    const request = (pools: [string, number][]) => ({
      pools: pools.map(([pool, limit]) => ({ pool, limit })),
      holder: 'p1',
      ttlMs: 10_000,
    });
    slotOf(
      await store.acquire(
        request([
          ['sessions', 3],
          ['key:a', 1],
        ]),
      ),
    );
    const refused = await store.acquire(
      request([
        ['sessions', 3],
        ['key:a', 1],
      ]),
    );
    assert.deepEqual(refused, { ok: false, pool: 'key:a' });
    assert.deepEqual(
      await store.count(['sessions', 'key:a', 'key:b']),
      [1, 1, 0],
      'nothing taken when refused',
    );
    slotOf(
      await store.acquire(
        request([
          ['sessions', 3],
          ['key:b', 5],
        ]),
      ),
    );
    slotOf(await store.acquire(request([['sessions', 3]])));
    assert.deepEqual(await store.acquire(request([['sessions', 3]])), { ok: false, pool: 'sessions' });
    assert.deepEqual(await store.count(['sessions', 'key:a', 'key:b']), [3, 1, 1]);
  });

  it('gives a released slot back once, however often it is released', async (t) => {
    const [store] = (await storesFor(t, 1)) ?? [];
    if (store === undefined) return;
    const ask = { pools: [{ pool: 'p', limit: 2 }], holder: 'h', ttlMs: 10_000 };
    const first = slotOf(await store.acquire(ask));
    slotOf(await store.acquire(ask));
    await store.release(first);
    await store.release(first);
    await store.release('never-taken');
    assert.deepEqual(await store.count(['p']), [1]);
    slotOf(await store.acquire(ask));
    assert.equal((await store.acquire(ask)).ok, false);
  });

  it('a slot lapses when its holder stops renewing it, and stays while it renews', async (t) => {
    const stores = await storesFor(t, 2);
    if (stores === null) return;
    const [holding, other] = stores as [RedisStore, RedisStore];
    const pool = [{ pool: 'p', limit: 1 }];
    slotOf(await holding.acquire({ pools: pool, holder: 'alive', ttlMs: 300 }));
    await sleep(200);
    await holding.renew('alive', 300);
    await sleep(200);
    assert.deepEqual(await other.count(['p']), [1], 'renewed at 200 ms, alive until 500 ms');
    assert.equal((await other.acquire({ pools: pool, holder: 'other', ttlMs: 300 })).ok, false);
    await sleep(200);
    assert.deepEqual(await other.count(['p']), [0], 'not renewed: lapsed');
    slotOf(await other.acquire({ pools: pool, holder: 'other', ttlMs: 10_000 }));
  });

  it('of 30 acquires from 3 stores at once on a pool of 5, exactly 5 are granted', async (t) => {
    const stores = await storesFor(t, 3);
    if (stores === null) return;
    const grants = await Promise.all(
      Array.from({ length: 30 }, (_, k) =>
        stores[k % 3]!.acquire({
          pools: [
            { pool: 'wide', limit: 100 },
            { pool: 'narrow', limit: 5 },
          ],
          holder: `h${k % 3}`,
          ttlMs: 10_000,
        }),
      ),
    );
    assert.equal(grants.filter((grant) => grant.ok).length, 5);
    assert.ok(grants.every((grant) => grant.ok || grant.pool === 'narrow'));
    assert.deepEqual(await stores[0]!.count(['wide', 'narrow']), [5, 5], 'refused requests took nothing');
    const ids = grants.flatMap((grant) => (grant.ok ? [grant.slotId] : []));
    assert.equal(new Set(ids).size, 5, 'slot ids are unique across stores');
  });

  it('drops everything a holder has when another store is told it is gone', async (t) => {
    const stores = await storesFor(t, 2);
    if (stores === null) return;
    const [mine, theirs] = stores as [RedisStore, RedisStore];
    for (const holder of ['dead', 'dead', 'alive'])
      slotOf(await mine.acquire({ pools: [{ pool: 'p', limit: 10 }], holder, ttlMs: 60_000 }));
    assert.ok(await mine.claim({ kind: 'session', id: 's1', holder: 'dead', ttlMs: 60_000 }));
    assert.ok(await mine.claim({ kind: 'session', id: 's2', holder: 'alive', ttlMs: 60_000 }));
    await theirs.dropHolder('dead');
    assert.deepEqual(await theirs.count(['p']), [1]);
    assert.equal(await theirs.locate('session', 's1'), null);
    assert.deepEqual(await theirs.list('session'), [{ id: 's2', holder: 'alive' }]);
    await mine.renew('dead', 60_000);
    assert.deepEqual(await mine.count(['p']), [1], 'a renewal does not bring back what was dropped');
    assert.equal(await mine.locate('session', 's1'), null);
    slotOf(await mine.acquire({ pools: [{ pool: 'p', limit: 10 }], holder: 'dead', ttlMs: 60_000 }));
    await mine.renew('dead', 60_000);
    assert.deepEqual(await mine.count(['p']), [2], 'what the holder takes afterwards is its own');
  });
});

describe('RedisStore buckets', () => {
  it('starts full, refills evenly over the period; a changed rate starts a fresh bucket', async (t) => {
    const [store] = (await storesFor(t, 1)) ?? [];
    if (store === undefined) return;
    assert.deepEqual(
      [await store.take('a', 2, 800), await store.take('a', 2, 800), await store.take('a', 2, 800)],
      [true, true, false],
    );
    assert.equal(await store.take('b', 2, 800), true, 'another key has its own bucket');
    // One token comes back every 400 ms.
    await sleep(450);
    assert.equal(await store.take('a', 2, 800), true);
    assert.equal(await store.take('a', 2, 800), false);
    assert.equal(await store.take('a', 5, 800), true, 'a reloaded key with a new rate starts full');
  });

  it('of 30 takes from 3 stores at once on a bucket of 4, exactly 4 succeed', async (t) => {
    const stores = await storesFor(t, 3);
    if (stores === null) return;
    const taken = await Promise.all(
      Array.from({ length: 30 }, (_, k) => stores[k % 3]!.take('rate:k', 4, 3_600_000)),
    );
    assert.equal(taken.filter(Boolean).length, 4);
  });
});

describe('RedisStore directory', () => {
  it('one holder per object; others are refused until it forgets or lapses; lists the live ones', async (t) => {
    const stores = await storesFor(t, 2);
    if (stores === null) return;
    const [a, b] = stores as [RedisStore, RedisStore];
    assert.ok(await a.claim({ kind: 'session', id: 's', holder: 'a', ttlMs: 10_000 }));
    assert.ok(
      await a.claim({ kind: 'session', id: 's', holder: 'a', ttlMs: 10_000 }),
      'claiming again is fine',
    );
    assert.equal(await b.claim({ kind: 'session', id: 's', holder: 'b', ttlMs: 10_000 }), false);
    assert.ok(await b.claim({ kind: 'call', id: 's', holder: 'b', ttlMs: 10_000 }), 'kinds are separate');
    assert.ok(await b.claim({ kind: 'session', id: 'short', holder: 'b', ttlMs: 200 }));
    assert.equal(await b.locate('session', 's'), 'a');
    assert.deepEqual(byId(await b.list('session')), [
      { id: 's', holder: 'a' },
      { id: 'short', holder: 'b' },
    ]);
    assert.deepEqual(await a.list('call'), [{ id: 's', holder: 'b' }]);
    await b.forget('session', 's', 'b');
    assert.equal(await b.locate('session', 's'), 'a', 'only the holder removes its entry');
    await a.forget('session', 's', 'a');
    assert.equal(await b.locate('session', 's'), null);
    assert.ok(await b.claim({ kind: 'session', id: 's', holder: 'b', ttlMs: 200 }));
    await sleep(250);
    assert.equal(await a.locate('session', 's'), null);
    assert.deepEqual(await a.list('session'), [], 'lapsed entries are not listed');
    assert.ok(
      await a.claim({ kind: 'session', id: 's', holder: 'a', ttlMs: 10_000 }),
      'a lapsed entry is free',
    );
  });
});

describe('RedisStore key prefixes', () => {
  it('two stores with different prefixes on one Redis share nothing, and write under their prefix only', async (t) => {
    const [one] = (await storesFor(t, 1)) ?? [];
    const [two] = (await storesFor(t, 1)) ?? [];
    if (one === undefined || two === undefined) return;
    await one.add('n', 5);
    await one.put('v', 'one', 10_000);
    slotOf(await one.acquire({ pools: [{ pool: 'p', limit: 1 }], holder: 'h', ttlMs: 10_000 }));
    assert.ok(await one.claim({ kind: 'session', id: 's', holder: 'h', ttlMs: 10_000 }));
    assert.equal(await one.take('b', 1, 3_600_000), true);
    assert.equal(await two.read('n'), 0);
    assert.equal(await two.get('v'), null);
    assert.deepEqual(await two.count(['p']), [0]);
    slotOf(await two.acquire({ pools: [{ pool: 'p', limit: 1 }], holder: 'h', ttlMs: 10_000 }));
    assert.equal(await two.locate('session', 's'), null);
    assert.deepEqual(await two.list('session'), []);
    assert.equal(await two.take('b', 1, 3_600_000), true);
    await two.dropHolder('h');
    assert.deepEqual(await one.count(['p']), [1], 'dropping a holder under one prefix leaves the other');
    const raw = new Redis(server!.url, { lazyConnect: true });
    await raw.connect();
    t.after(() => raw.quit());
    const keys = await raw.keys('*');
    assert.ok(keys.length > 0);
    assert.deepEqual(
      keys.filter((key) => !key.startsWith(PREFIX_ROOT)),
      [],
      'every key is under a prefix',
    );
  });
});

describe('RedisStore with a password', () => {
  it('refuses to work without the password, works with it', async (t) => {
    const guarded = await redisOrSkip(t, { password: 'a-test-password' });
    if (guarded === null) return;
    t.after(() => guarded.close());
    const statuses: string[] = [];
    const without = new RedisStore({
      url: guarded.url,
      timeoutMs: TIMEOUT_MS,
      onStatus: (status, detail) => statuses.push(`${status} ${detail}`),
    });
    const wrong = new RedisStore({ url: guarded.url, password: 'not-it', timeoutMs: TIMEOUT_MS });
    const withIt = new RedisStore({ url: guarded.url, password: 'a-test-password', timeoutMs: TIMEOUT_MS });
    t.after(() => Promise.all([without.close(), wrong.close(), withIt.close()]));
    await withIt.ready();
    assert.equal(await withIt.add('n', 1), 1);
    await assert.rejects(without.ready(1000), StoreError);
    await assert.rejects(without.add('n', 1), StoreError);
    await assert.rejects(wrong.read('n'), StoreError);
    assert.equal(without.available, false);
    assert.ok(
      statuses.some((status) => status.startsWith('down') && /NOAUTH|auth/i.test(status)),
      statuses.join('; '),
    );
  });
});

describe('RedisStore and RedisBus over TLS', () => {
  it('work with the CA and a client certificate the server trusts, and fail with a clear error otherwise', async (t) => {
    const now = Date.now();
    const ca = await createAuthority('CN=redis test CA', new Date(now - 60_000), new Date(now + 3_600_000));
    const server = await issueCertificate(ca, {
      subject: 'CN=localhost',
      usage: 'server',
      ip: ['127.0.0.1'],
    });
    const client = await issueCertificate(ca, { subject: 'CN=gateway node', usage: 'client' });
    const caPem = ca.cert.toString('pem');
    const redis = await redisOrSkip(t, { tls: { ...server, ca: caPem } });
    if (redis === null) return;
    t.after(() => redis.close());
    assert.match(redis.url, /^rediss:/);
    const options = { url: redis.url, keyPrefix: 'tls:', timeoutMs: TIMEOUT_MS };
    const trusted = { ...options, tls: { ca: caPem, cert: client.cert, key: client.key } };
    const store = new RedisStore(trusted);
    const bus = new RedisBus(trusted);
    t.after(() => Promise.all([store.close(), bus.close()]));
    await Promise.all([store.ready(), bus.ready()]);
    assert.equal(await store.add('n', 2), 2);
    const grant = await store.acquire({ pools: [{ pool: 'p', limit: 1 }], holder: 'h', ttlMs: 5000 });
    assert.equal(grant.ok, true);
    const heard: string[] = [];
    await bus.subscribe('news', (message) => heard.push(message));
    await bus.publish('news', 'over tls');
    await eventually(() => heard.length === 1, 2000, 'the message over TLS');
    assert.deepEqual(heard, ['over tls']);

    const otherCa = await createAuthority('CN=another CA', new Date(now - 60_000), new Date(now + 3_600_000));
    const statuses: string[] = [];
    const untrusting = new RedisStore({
      ...options,
      tls: { ca: otherCa.cert.toString('pem'), cert: client.cert, key: client.key },
      onStatus: (status, detail) => statuses.push(`${status} ${detail}`),
    });
    const anonymous = new RedisStore({ ...options, tls: { ca: caPem } });
    t.after(() => Promise.all([untrusting.close(), anonymous.close()]));
    await assert.rejects(untrusting.ready(1000), StoreError);
    await assert.rejects(untrusting.read('n'), StoreError);
    assert.ok(
      statuses.some((status) => status.startsWith('down') && /certificate/i.test(status)),
      statuses.join('; '),
    );
    // The server asks every client for a certificate its CA issued.
    await assert.rejects(anonymous.ready(1000), StoreError);
    assert.equal(await store.read('n'), 2, 'the trusted store goes on');
  });
});

describe('RedisStore while Redis is down', () => {
  it('fails fast while down, reconnects by itself, and a renewal brings back what live holders have', async (t) => {
    const statuses: string[] = [];
    const keyPrefix = `${PREFIX_ROOT}outage:`;
    const [store] = (await storesFor(t, 1, { keyPrefix, onStatus: (status) => statuses.push(status) })) ?? [];
    const [otherNode] = (await storesFor(t, 1, { keyPrefix })) ?? [];
    if (store === undefined || otherNode === undefined) return;
    const pool = [{ pool: 'sessions', limit: 10 }];
    const kept: string[] = [];
    for (let k = 0; k < 3; k++)
      kept.push(slotOf(await store.acquire({ pools: pool, holder: 'live', ttlMs: 60_000 })));
    const released = slotOf(await store.acquire({ pools: pool, holder: 'live', ttlMs: 60_000 }));
    await store.release(released);
    slotOf(await store.acquire({ pools: pool, holder: 'dropped', ttlMs: 60_000 }));
    await store.dropHolder('dropped');
    assert.ok(await store.claim({ kind: 'session', id: 's1', holder: 'live', ttlMs: 60_000 }));
    assert.ok(await store.claim({ kind: 'call', id: 'c1', holder: 'live', ttlMs: 60_000 }));
    assert.ok(await store.claim({ kind: 'session', id: 'gone', holder: 'live', ttlMs: 60_000 }));
    await store.forget('session', 'gone', 'live');
    assert.deepEqual(await store.count(['sessions']), [3]);

    await server!.stop();
    await eventually(() => !store.available, 2000, 'the store to see Redis gone');
    const operations: [string, () => Promise<unknown>][] = [
      ['add', () => store.add('n', 1, 1000)],
      ['read', () => store.read('n')],
      ['put', () => store.put('v', 'x', 1000)],
      ['get', () => store.get('v')],
      ['pop', () => store.pop('v')],
      ['acquire', () => store.acquire({ pools: pool, holder: 'live', ttlMs: 60_000 })],
      ['release', () => store.release(kept[0]!)],
      ['count', () => store.count(['sessions'])],
      ['take', () => store.take('b', 1, 1000)],
      ['claim', () => store.claim({ kind: 'session', id: 'x', holder: 'live', ttlMs: 1000 })],
      ['locate', () => store.locate('session', 's1')],
      ['forget', () => store.forget('session', 'x', 'live')],
      ['list', () => store.list('session')],
      ['renew', () => store.renew('live', 60_000)],
      ['dropHolder', () => store.dropHolder('nobody')],
    ];
    for (const [name, operation] of operations) {
      const started = Date.now();
      await assert.rejects(operation(), StoreError, `${name} rejects while Redis is down`);
      assert.ok(Date.now() - started < 3 * TIMEOUT_MS, `${name} did not hang`);
    }
    await eventually(() => statuses.includes('down'), 3000, "the store to report Redis 'down'");
    assert.ok(statuses.includes('reconnecting'), statuses.join(', '));

    await server!.start();
    await eventually(() => store.available && otherNode.available, 10_000, 'the store to reconnect');
    assert.equal(statuses.at(-1), 'ready');
    assert.deepEqual(await otherNode.count(['sessions']), [0], 'the restarted Redis lost everything');
    await store.renew('live', 60_000);
    assert.deepEqual(
      await otherNode.count(['sessions']),
      [3],
      "the live holder's slots are back, nothing else",
    );
    assert.equal(await otherNode.locate('session', 's1'), 'live');
    assert.deepEqual(byId(await otherNode.list('session')), [{ id: 's1', holder: 'live' }]);
    assert.deepEqual(await otherNode.list('call'), [{ id: 'c1', holder: 'live' }]);
    await store.release(kept[0]!);
    assert.deepEqual(
      await otherNode.count(['sessions']),
      [2],
      'a slot asserted again is released as any other',
    );
    // Each change told once, never once per reconnection attempt.
    for (let k = 1; k < statuses.length; k++)
      assert.notEqual(statuses[k], statuses[k - 1], statuses.join(', '));
  });

  it('a closed store answers every operation with a StoreError', async (t) => {
    const [store] = (await storesFor(t, 1)) ?? [];
    if (store === undefined) return;
    await store.close();
    await assert.rejects(store.read('x'), StoreError);
    await assert.rejects(store.acquire({ pools: [], holder: 'h', ttlMs: 1 }), StoreError);
  });
});
