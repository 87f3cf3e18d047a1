/**
 * The Redis store against a real redis-server (one for the file, a key prefix per test): the
 * store contract (`support/store-contract.ts`, the memory store's semantics and atomicity under
 * several store instances at once), key prefixes, holders that survive a Redis restart through
 * renewal, a password, TLS with client certificates, and failing fast while Redis is down.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBus } from '../src/store/redis-bus.js';
import { RedisStore, type RedisStoreOptions } from '../src/store/redis-store.js';
import { StoreError } from '../src/store/store.js';
import { createAuthority, issueCertificate } from '../src/tls/certificates.js';
import { eventually } from './support/harness.js';
import { redisOrSkip, type TestRedis } from './support/redis.js';
import { slotOf, storeContract } from './support/store-contract.js';

const TIMEOUT_MS = 500;
const PREFIX_ROOT = `test-${process.pid}-`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

storeContract('RedisStore', async (t, n) => {
  const stores = await storesFor(t, n);
  return stores === null ? null : { stores, wait: sleep };
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
    assert.deepEqual(await otherNode.list('session'), [{ id: 's1', holder: 'live' }]);
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
});
