/**
 * What every {@link Store} means, whichever holds the state: one suite of cases run against each
 * implementation (the memory store on a clock the test moves, Redis on its own clock), so a
 * deployment behaves the same with one process, `--workers` or several nodes, and a fail-open
 * fallback to memory changes where state lives, never what an operation answers.
 *
 * A case gets `n` handles on one store as the processes of a deployment would (one instance
 * shared, or `n` clients of one Redis) and a `wait` that lets time pass for it.
 *
 * @example
 * storeContract('MemoryStore', async (_t, n) => { const store = new MemoryStore(); return { stores: Array(n).fill(store), wait: sleep, close: () => store.close() }; });
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type SlotGrant, type Store, StoreError } from '../../src/store/store.js';

/** `n` handles on one store, and how time passes for it. */
export interface ContractStores {
  readonly stores: readonly Store[];
  /** Lets `ms` pass for the store (a fake clock moves; a real one is waited for). */
  wait(ms: number): Promise<void>;
}

/** Opens the store for one case (closed by the opener through `t.after`); null when skipped. */
export type OpenStores = (t: TestContext, n: number) => Promise<ContractStores | null>;

/** The granted slot's id, or a failed assertion naming the full pool. */
export function slotOf(grant: SlotGrant): string {
  assert.ok(grant.ok, `expected a slot, the pool ${grant.ok ? '' : grant.pool} was full`);
  return grant.slotId;
}

const byId = (entries: { id: string; holder: string }[]) =>
  [...entries].sort((a, b) => a.id.localeCompare(b.id));

/**
 * The cases, under `describe(name)`. Times are a few hundred milliseconds, with margins a real
 * clock on a loaded machine keeps.
 */
export function storeContract(name: string, open: OpenStores): void {
  const one = async (t: TestContext) => {
    const opened = await open(t, 1);
    return opened === null ? null : { store: opened.stores[0]!, wait: opened.wait };
  };

  describe(`${name}: counters`, () => {
    it('adds, reads, and lapses a counter a fixed time after it was created', async (t) => {
      const s = await one(t);
      if (s === null) return;
      assert.equal(await s.store.read('tokens'), 0);
      assert.equal(await s.store.add('tokens', 5, 400), 5);
      await s.wait(200);
      assert.equal(await s.store.add('tokens', 2, 400), 7, 'the window does not move with each add');
      await s.wait(250);
      assert.equal(await s.store.read('tokens'), 0, 'lapsed 400 ms after it was created');
      assert.equal(await s.store.add('tokens', 1, 400), 1, 'a lapsed counter starts again at zero');
      assert.equal(await s.store.add('forever', 3), 3);
      assert.equal(await s.store.add('forever', -1), 2);
      await assert.rejects(s.store.add('forever', 0.5), StoreError, 'counters add whole numbers');
      assert.equal(await s.store.read('forever'), 2);
    });

    it('adds from two processes at once sum exactly', async (t) => {
      const opened = await open(t, 2);
      if (opened === null) return;
      const { stores } = opened;
      await Promise.all(
        Array.from({ length: 100 }, (_, k) => stores[k % 2]!.add('shared', k % 2 === 0 ? 1 : 2, 60_000)),
      );
      assert.equal(await stores[0]!.read('shared'), 150);
    });
  });

  describe(`${name}: values`, () => {
    it('keeps a value until it lapses, reads it without taking it, and replaces it', async (t) => {
      const s = await one(t);
      if (s === null) return;
      assert.equal(await s.store.get('address:a'), null);
      await s.store.put('address:a', 'http://127.0.0.1:1', 150);
      assert.equal(await s.store.get('address:a'), 'http://127.0.0.1:1');
      assert.equal(await s.store.get('address:a'), 'http://127.0.0.1:1', 'reading leaves it');
      await s.wait(200);
      assert.equal(await s.store.get('address:a'), null, 'a lapsed value is gone');
      assert.equal(await s.store.pop('address:a'), null);
      await s.store.put('c', 'old', 10_000);
      await s.store.put('c', 'new', 10_000);
      assert.equal(await s.store.pop('c'), 'new');
      assert.equal(await s.store.pop('c'), null);
    });

    it('of 20 pops from 3 processes at once, exactly one gets the value', async (t) => {
      const opened = await open(t, 3);
      if (opened === null) return;
      const { stores } = opened;
      await stores[0]!.put('secret', '{"model":"m"}', 10_000);
      const popped = await Promise.all(Array.from({ length: 20 }, (_, k) => stores[k % 3]!.pop('secret')));
      assert.deepEqual(
        popped.filter((value) => value !== null),
        ['{"model":"m"}'],
      );
    });
  });

  describe(`${name}: slots`, () => {
    it('takes one slot in every pool or none, and names the full pool', async (t) => {
      const s = await one(t);
      if (s === null) return;
      const request = (pools: [string, number][]) => ({
        pools: pools.map(([pool, limit]) => ({ pool, limit })),
        holder: 'p1',
        ttlMs: 10_000,
      });
      const sessionAndKey = (key: string, limit: number) =>
        request([
          ['sessions', 3],
          [key, limit],
        ]);
      slotOf(await s.store.acquire(sessionAndKey('key:a', 1)));
      assert.deepEqual(await s.store.acquire(sessionAndKey('key:a', 1)), { ok: false, pool: 'key:a' });
      assert.deepEqual(
        await s.store.count(['sessions', 'key:a', 'key:b']),
        [1, 1, 0],
        'nothing taken when refused',
      );
      slotOf(await s.store.acquire(sessionAndKey('key:b', 5)));
      slotOf(await s.store.acquire(request([['sessions', 3]])));
      assert.deepEqual(await s.store.acquire(request([['sessions', 3]])), { ok: false, pool: 'sessions' });
      assert.deepEqual(await s.store.count(['sessions', 'key:a', 'key:b']), [3, 1, 1]);
    });

    it('gives a released slot back once, however often it is released', async (t) => {
      const s = await one(t);
      if (s === null) return;
      const ask = { pools: [{ pool: 'p', limit: 2 }], holder: 'h', ttlMs: 10_000 };
      const first = slotOf(await s.store.acquire(ask));
      slotOf(await s.store.acquire(ask));
      await s.store.release(first);
      await s.store.release(first);
      await s.store.release('never-taken');
      assert.deepEqual(await s.store.count(['p']), [1]);
      slotOf(await s.store.acquire(ask));
      assert.equal((await s.store.acquire(ask)).ok, false);
    });

    it('a slot lapses when its holder stops renewing it, and stays while it renews', async (t) => {
      const opened = await open(t, 2);
      if (opened === null) return;
      const [holding, other] = opened.stores as [Store, Store];
      const pool = [{ pool: 'p', limit: 1 }];
      slotOf(await holding.acquire({ pools: pool, holder: 'alive', ttlMs: 300 }));
      await opened.wait(200);
      await holding.renew('alive', 300);
      await opened.wait(200);
      assert.deepEqual(await other.count(['p']), [1], 'renewed at 200 ms, alive until 500 ms');
      assert.equal((await other.acquire({ pools: pool, holder: 'other', ttlMs: 300 })).ok, false);
      await opened.wait(200);
      assert.deepEqual(await other.count(['p']), [0], 'not renewed: lapsed');
      // A full pool looks for lapsed slots before it refuses.
      slotOf(await other.acquire({ pools: pool, holder: 'other', ttlMs: 10_000 }));
    });

    it('of 30 acquires from 3 processes at once on a pool of 5, exactly 5 are granted', async (t) => {
      const opened = await open(t, 3);
      if (opened === null) return;
      const { stores } = opened;
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
      assert.equal(new Set(ids).size, 5, 'slot ids are unique across processes');
    });

    it('drops everything a holder has when another process is told it is gone', async (t) => {
      const opened = await open(t, 2);
      if (opened === null) return;
      const [mine, theirs] = opened.stores as [Store, Store];
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

  describe(`${name}: buckets`, () => {
    it('starts full, refills evenly over the period; a changed rate starts a fresh bucket', async (t) => {
      const s = await one(t);
      if (s === null) return;
      assert.deepEqual(
        [await s.store.take('a', 2, 800), await s.store.take('a', 2, 800), await s.store.take('a', 2, 800)],
        [true, true, false],
      );
      assert.equal(await s.store.take('b', 2, 800), true, 'another key has its own bucket');
      // One token comes back every 400 ms.
      await s.wait(450);
      assert.equal(await s.store.take('a', 2, 800), true);
      assert.equal(await s.store.take('a', 2, 800), false);
      assert.equal(await s.store.take('a', 5, 800), true, 'a reloaded key with a new rate starts full');
    });

    it('of 30 takes from 3 processes at once on a bucket of 4, exactly 4 succeed', async (t) => {
      const opened = await open(t, 3);
      if (opened === null) return;
      const { stores } = opened;
      const taken = await Promise.all(
        Array.from({ length: 30 }, (_, k) => stores[k % 3]!.take('rate:k', 4, 3_600_000)),
      );
      assert.equal(taken.filter(Boolean).length, 4);
    });
  });

  describe(`${name}: directory`, () => {
    it('one holder per object; others are refused until it forgets or lapses; lists the live ones', async (t) => {
      const opened = await open(t, 2);
      if (opened === null) return;
      const [a, b] = opened.stores as [Store, Store];
      assert.deepEqual(await a.list('session'), []);
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
      assert.deepEqual(await a.list('call'), [{ id: 's', holder: 'b' }], 'only the kind asked for');
      await b.forget('session', 's', 'b');
      assert.equal(await b.locate('session', 's'), 'a', 'only the holder removes its entry');
      await a.forget('session', 's', 'a');
      assert.equal(await b.locate('session', 's'), null);
      assert.ok(await b.claim({ kind: 'session', id: 's', holder: 'b', ttlMs: 200 }));
      await opened.wait(250);
      assert.equal(await a.locate('session', 's'), null);
      assert.deepEqual(await a.list('session'), [], 'lapsed entries are not listed');
      assert.ok(
        await a.claim({ kind: 'session', id: 's', holder: 'a', ttlMs: 10_000 }),
        'a lapsed entry is free',
      );
    });
  });

  describe(`${name}: closing`, () => {
    it('a closed store answers every operation with a StoreError', async (t) => {
      const s = await one(t);
      if (s === null) return;
      await s.store.close();
      await assert.rejects(s.store.read('x'), StoreError);
      await assert.rejects(s.store.acquire({ pools: [], holder: 'h', ttlMs: 1 }), StoreError);
      await assert.rejects(s.store.claim({ kind: 'session', id: 's', holder: 'h', ttlMs: 1 }), StoreError);
    });
  });
}
