/**
 * The store: the in-memory implementation's counters, slots, buckets and directory under a fake
 * clock, the token bucket's arithmetic, and a process as a holder that renews what it has.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreHolder } from '../src/store/holder.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { type SlotGrant, type Store, StoreError } from '../src/store/store.js';
import { fullAt, takeToken } from '../src/store/token-bucket.js';
import { eventually } from './support/harness.js';

/** A memory store on a clock the test moves; its sweep timer is far away, so only the test sweeps. */
function clocked(): { store: MemoryStore; advance(ms: number): void } {
  let now = 1_000_000;
  const store = new MemoryStore({ now: () => now, sweepMs: 3_600_000 });
  return {
    store,
    advance(ms) {
      now += ms;
    },
  };
}

function slotOf(grant: SlotGrant): string {
  assert.ok(grant.ok, `expected a slot, the pool ${grant.ok ? '' : grant.pool} was full`);
  return grant.slotId;
}

describe('token bucket arithmetic', () => {
  it('starts full, empties by one per take, refills evenly over the period', () => {
    let state: Parameters<typeof takeToken>[0];
    const taken: boolean[] = [];
    for (let k = 0; k < 4; k++) {
      const result = takeToken(state, 3, 60_000, 0);
      taken.push(result.taken);
      state = result.state;
    }
    assert.deepEqual(taken, [true, true, true, false]);
    // One token comes back every 20 s.
    assert.equal(takeToken(state, 3, 60_000, 19_999).taken, false);
    const refilled = takeToken(state, 3, 60_000, 20_000);
    assert.equal(refilled.taken, true);
    assert.equal(refilled.state.tokens, 0);
  });

  it('never holds more than its capacity, and says when it is full again', () => {
    const first = takeToken(undefined, 2, 1000, 0);
    assert.equal(takeToken(first.state, 2, 1000, 1_000_000).state.tokens, 1);
    assert.equal(fullAt(first.state, 2, 1000), 500);
  });

  it('a clock that goes back refills nothing', () => {
    const first = takeToken(undefined, 1, 1000, 10_000);
    assert.equal(takeToken(first.state, 1, 1000, 5_000).taken, false);
  });
});

describe('MemoryStore counters', () => {
  it('adds, reads, and lapses a counter a fixed time after it was created', async () => {
    const { store, advance } = clocked();
    assert.equal(await store.read('tokens'), 0);
    assert.equal(await store.add('tokens', 5, 1000), 5);
    advance(600);
    assert.equal(await store.add('tokens', 2, 1000), 7, 'the window does not move with each add');
    advance(400);
    assert.equal(await store.read('tokens'), 0);
    assert.equal(await store.add('tokens', 1, 1000), 1, 'a lapsed counter starts again at zero');
    assert.equal(await store.add('forever', 3), 3);
    advance(10 ** 9);
    assert.equal(await store.read('forever'), 3);
    await store.close();
  });
});

describe('MemoryStore values', () => {
  it('keeps a value until it lapses, and gives it to one taker only', async () => {
    const { store, advance } = clocked();
    await store.put('secret:a', '{"model":"m"}', 1000);
    const [first, second] = await Promise.all([store.pop('secret:a'), store.pop('secret:a')]);
    assert.deepEqual([first, second], ['{"model":"m"}', null]);
    await store.put('secret:b', 'b', 1000);
    advance(1000);
    assert.equal(await store.pop('secret:b'), null, 'a lapsed value is gone');
    await store.put('secret:c', 'old', 1000);
    await store.put('secret:c', 'new', 1000);
    assert.equal(await store.pop('secret:c'), 'new');
    await store.close();
  });

  it('reads a value without taking it, until it lapses', async () => {
    const { store, advance } = clocked();
    assert.equal(await store.get('address:a'), null, 'nothing is there yet');
    await store.put('address:a', 'http://127.0.0.1:1', 1000);
    assert.equal(await store.get('address:a'), 'http://127.0.0.1:1');
    assert.equal(await store.get('address:a'), 'http://127.0.0.1:1', 'reading leaves it');
    advance(1000);
    assert.equal(await store.get('address:a'), null, 'a lapsed value is gone');
    await store.close();
  });
});

describe('MemoryStore slots', () => {
  it('takes one slot in every pool or none, and names the full pool', async () => {
    const { store } = clocked();
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
    await store.close();
  });

  it('gives a released slot back once, however often it is released', async () => {
    const { store } = clocked();
    const ask = { pools: [{ pool: 'p', limit: 2 }], holder: 'h', ttlMs: 1000 };
    const first = slotOf(await store.acquire(ask));
    slotOf(await store.acquire(ask));
    await store.release(first);
    await store.release(first);
    assert.deepEqual(await store.count(['p']), [1]);
    slotOf(await store.acquire(ask));
    assert.equal((await store.acquire(ask)).ok, false);
    await store.close();
  });

  it('a slot lapses when its holder stops renewing it, and stays while it renews', async () => {
    const { store, advance } = clocked();
    slotOf(await store.acquire({ pools: [{ pool: 'p', limit: 1 }], holder: 'alive', ttlMs: 1000 }));
    advance(900);
    await store.renew('alive', 1000);
    advance(900);
    assert.deepEqual(await store.count(['p']), [1], 'renewed at 900 ms, alive until 1900 ms');
    assert.equal(
      (await store.acquire({ pools: [{ pool: 'p', limit: 1 }], holder: 'other', ttlMs: 1000 })).ok,
      false,
    );
    advance(100);
    // A full pool looks for lapsed slots before it refuses.
    slotOf(await store.acquire({ pools: [{ pool: 'p', limit: 1 }], holder: 'other', ttlMs: 1000 }));
    await store.renew('alive', 1000);
    assert.deepEqual(await store.count(['p']), [1], 'a renewal does not bring back a lapsed slot');
    await store.close();
  });

  it('drops everything a holder has when it is known to be gone', async () => {
    const { store } = clocked();
    for (const holder of ['dead', 'dead', 'alive'])
      slotOf(await store.acquire({ pools: [{ pool: 'p', limit: 10 }], holder, ttlMs: 60_000 }));
    assert.ok(await store.claim({ kind: 'session', id: 's1', holder: 'dead', ttlMs: 60_000 }));
    await store.dropHolder('dead');
    assert.deepEqual(await store.count(['p']), [1]);
    assert.equal(await store.locate('session', 's1'), null);
    await store.close();
  });

  it('the sweep drops lapsed slots, entries, counters and refilled buckets', async () => {
    const { store, advance } = clocked();
    slotOf(await store.acquire({ pools: [{ pool: 'p', limit: 1 }], holder: 'h', ttlMs: 100 }));
    await store.claim({ kind: 'call', id: 'c', holder: 'h', ttlMs: 100 });
    await store.add('n', 1, 100);
    await store.take('b', 1, 100);
    await store.put('v', 'x', 100);
    advance(100);
    store.sweep();
    const internals = store as unknown as Record<
      'slots' | 'pools' | 'directory' | 'counters' | 'values' | 'buckets' | 'holders',
      Map<unknown, unknown>
    >;
    for (const name of ['slots', 'pools', 'directory', 'counters', 'values', 'buckets', 'holders'] as const)
      assert.equal(internals[name].size, 0, `${name} is empty after the sweep`);
    await store.close();
  });
});

describe('MemoryStore buckets', () => {
  it('one bucket per name; a changed rate starts a fresh bucket', async () => {
    const { store, advance } = clocked();
    assert.deepEqual(
      [await store.take('a', 2, 60_000), await store.take('a', 2, 60_000), await store.take('a', 2, 60_000)],
      [true, true, false],
    );
    assert.equal(await store.take('b', 2, 60_000), true, 'another key has its own bucket');
    advance(30_000);
    assert.equal(await store.take('a', 2, 60_000), true);
    assert.equal(await store.take('a', 5, 60_000), true, 'a reloaded key with a new rate starts full');
    await store.close();
  });
});

describe('MemoryStore directory', () => {
  it('one holder per object; others are refused until it forgets or lapses', async () => {
    const { store, advance } = clocked();
    assert.ok(await store.claim({ kind: 'session', id: 's', holder: 'a', ttlMs: 1000 }));
    assert.equal(await store.claim({ kind: 'session', id: 's', holder: 'b', ttlMs: 1000 }), false);
    assert.ok(await store.claim({ kind: 'call', id: 's', holder: 'b', ttlMs: 1000 }), 'kinds are separate');
    assert.equal(await store.locate('session', 's'), 'a');
    await store.forget('session', 's', 'b');
    assert.equal(await store.locate('session', 's'), 'a', 'only the holder removes its entry');
    await store.forget('session', 's', 'a');
    assert.equal(await store.locate('session', 's'), null);
    assert.ok(await store.claim({ kind: 'session', id: 's', holder: 'b', ttlMs: 1000 }));
    advance(1000);
    assert.equal(await store.locate('session', 's'), null);
    assert.ok(
      await store.claim({ kind: 'session', id: 's', holder: 'a', ttlMs: 1000 }),
      'a lapsed entry is free',
    );
    await store.close();
  });

  it('lists the live entries of one kind', async () => {
    const { store, advance } = clocked();
    assert.deepEqual(await store.list('session'), []);
    await store.claim({ kind: 'session', id: 's1', holder: 'a', ttlMs: 1000 });
    await store.claim({ kind: 'session', id: 's2', holder: 'b', ttlMs: 2000 });
    await store.claim({ kind: 'call', id: 'c1', holder: 'a', ttlMs: 2000 });
    const byId = (entries: { id: string; holder: string }[]) =>
      [...entries].sort((x, y) => x.id.localeCompare(y.id));
    assert.deepEqual(byId(await store.list('session')), [
      { id: 's1', holder: 'a' },
      { id: 's2', holder: 'b' },
    ]);
    assert.deepEqual(await store.list('call'), [{ id: 'c1', holder: 'a' }], 'only the kind asked for');
    advance(1000);
    assert.deepEqual(
      await store.list('session'),
      [{ id: 's2', holder: 'b' }],
      'a lapsed entry is not listed',
    );
    await store.forget('session', 's2', 'b');
    assert.deepEqual(await store.list('session'), []);
    await store.close();
  });

  it('a closed store answers every operation with a StoreError', async () => {
    const { store } = clocked();
    await store.close();
    await assert.rejects(store.read('x'), StoreError);
    await assert.rejects(store.acquire({ pools: [], holder: 'h', ttlMs: 1 }), StoreError);
  });
});

describe('StoreHolder', () => {
  it('renews its slots every third of their time to live, so they outlast it only briefly', async () => {
    const store = new MemoryStore({ sweepMs: 20 });
    const holder = new StoreHolder(store, { id: 'p1', ttlMs: 150 });
    slotOf(await holder.acquire([{ pool: 'p', limit: 1 }]));
    assert.ok(await holder.claim('session', 's1'));
    // Three times the time to live: renewed all along.
    await new Promise((resolve) => setTimeout(resolve, 450));
    assert.deepEqual(await store.count(['p']), [1]);
    assert.equal(await store.locate('session', 's1'), 'p1');
    await holder.stop();
    assert.deepEqual(await store.count(['p']), [0], 'a stopping holder gives everything back');
    assert.equal(await store.locate('session', 's1'), null);
    await store.close();
  });

  it('a holder that no longer renews loses its slots within the time to live', async () => {
    const store = new MemoryStore({ sweepMs: 20 });
    const holder = new StoreHolder(store, { id: 'crashing', ttlMs: 150 });
    slotOf(await holder.acquire([{ pool: 'p', limit: 1 }]));
    // As if the process died: no more renewals, nothing given back.
    clearInterval((holder as unknown as { timer: NodeJS.Timeout }).timer);
    await eventually(async () => (await store.count(['p']))[0] === 0, 1000, 'the slot lapsed');
    await store.close();
  });

  it('tries a failed release again instead of keeping a slot it renews forever', async () => {
    const inner = new MemoryStore();
    let failures = 1;
    const flaky: Store = Object.assign(Object.create(inner) as Store, {
      release: (slotId: string) => {
        if (failures-- > 0) return Promise.reject(new StoreError('unreachable'));
        return inner.release(slotId);
      },
    });
    const errors: unknown[] = [];
    const holder = new StoreHolder(flaky, { ttlMs: 60, onRenewFailed: (error) => errors.push(error) });
    const slot = slotOf(await holder.acquire([{ pool: 'p', limit: 1 }]));
    holder.release(slot);
    await eventually(async () => (await inner.count(['p']))[0] === 0, 1000, 'released on the second try');
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof StoreError);
    await holder.stop();
    await inner.close();
  });
});
