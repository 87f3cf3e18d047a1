/**
 * The store: the in-memory implementation against the store contract (`support/store-contract.ts`)
 * on a fake clock, its sweep, the token bucket's arithmetic, and a process as a holder that
 * renews what it has.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreHolder } from '../src/store/holder.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { type Store, StoreError } from '../src/store/store.js';
import { fullAt, takeToken } from '../src/store/token-bucket.js';
import { eventually } from './support/harness.js';
import { slotOf, storeContract } from './support/store-contract.js';

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

storeContract('MemoryStore', async (t, n) => {
  // One instance is what every process of a deployment shares (the cluster primary's store).
  const { store, advance } = clocked();
  t.after(() => store.close());
  return {
    stores: Array.from({ length: n }, () => store),
    async wait(ms) {
      advance(ms);
    },
  };
});

describe('MemoryStore', () => {
  // Unlike Redis, which may lose what it had (a restart) and so takes a renewal's word for what
  // its holder still has, memory loses nothing: a slot lapsed here had a holder that was gone.
  it('a renewal does not bring back a slot that lapsed', async () => {
    const { store, advance } = clocked();
    slotOf(await store.acquire({ pools: [{ pool: 'p', limit: 1 }], holder: 'late', ttlMs: 300 }));
    advance(300);
    slotOf(await store.acquire({ pools: [{ pool: 'p', limit: 1 }], holder: 'other', ttlMs: 300 }));
    await store.renew('late', 300);
    assert.deepEqual(await store.count(['p']), [1]);
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
