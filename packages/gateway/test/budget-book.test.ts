/**
 * Budgets as values (periods, standing, messages) and the book of spend per key and period,
 * over a real in-memory store: seeded from past spend once per period for the whole
 * deployment, counted from there, and a new period starting from nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { budgetPeriod, budgetSpent, describeSpend, standing } from '../src/governance/budget.js';
import { BudgetBook, type SpendSource } from '../src/governance/budget-book.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { Budget, Spend } from '../src/vocabulary/budget.js';

const DAY: Budget = { usd: 10, tokens: null, period: 'day', warnAt: 0.8 };

describe('budget periods', () => {
  test('UTC days and months, and all time', () => {
    const at = Date.UTC(2026, 11, 31, 23, 59, 59);
    assert.deepEqual(budgetPeriod('day', at), {
      key: '2026-12-31',
      startsAt: Date.UTC(2026, 11, 31),
      endsAt: Date.UTC(2027, 0, 1),
    });
    assert.deepEqual(budgetPeriod('month', at), {
      key: '2026-12',
      startsAt: Date.UTC(2026, 11, 1),
      endsAt: Date.UTC(2027, 0, 1),
    });
    assert.deepEqual(budgetPeriod('total', at), { key: 'total', startsAt: 0, endsAt: null });
    assert.equal(budgetPeriod('day', Date.UTC(2027, 0, 1)).key, '2027-01-01');
  });
});

describe('standing', () => {
  test('within, warned past the share, spent at the budget; the nearer cap decides', () => {
    assert.equal(standing(DAY, { usd: 7.99, tokens: 0 }), 'within');
    assert.equal(standing(DAY, { usd: 8, tokens: 0 }), 'warned');
    assert.equal(standing(DAY, { usd: 10, tokens: 0 }), 'spent');
    const both: Budget = { usd: 10, tokens: 1000, period: 'month', warnAt: 0.5 };
    assert.equal(standing(both, { usd: 1, tokens: 999 }), 'warned');
    assert.equal(standing(both, { usd: 1, tokens: 1000 }), 'spent');
    assert.equal(
      standing({ ...DAY, usd: 0 }, { usd: 0, tokens: 0 }),
      'spent',
      'a zero budget allows nothing',
    );
  });

  test("a spent budget's refusal is OpenAI's insufficient_quota, saying what was spent", () => {
    const refused = budgetSpent('app', DAY, { usd: 10.5, tokens: 0 });
    assert.equal(refused.status, 429);
    assert.equal(refused.code, 'insufficient_quota');
    assert.equal(refused.type, 'insufficient_quota');
    assert.match(refused.message, /'app' has spent today's budget \(\$10\.50 of \$10\.00\)/);
    assert.equal(
      describeSpend({ usd: null, tokens: 100_000, period: 'total', warnAt: 1 }, { usd: 3, tokens: 85_000 }),
      '85,000 of 100,000 tokens',
    );
  });
});

/** Past spend as a ledger would answer it, counting the reads. */
class PastSpend implements SpendSource {
  reads = 0;
  failing = false;
  constructor(private readonly spend: Spend) {}
  async spendSince(): Promise<Spend> {
    this.reads++;
    if (this.failing) throw new Error('ledger down');
    return this.spend;
  }
}

describe('the budget book', () => {
  test('seeds a period from the ledger once for every process sharing the store, then counts', async () => {
    const store = new MemoryStore();
    const ledger = new PastSpend({ usd: 2.5, tokens: 100 });
    const now = () => Date.UTC(2026, 11, 2, 12);
    const a = new BudgetBook(store, ledger, now);
    const b = new BudgetBook(store, ledger, now);
    assert.deepEqual(await a.spent('app', DAY), { usd: 2.5, tokens: 100 });
    assert.deepEqual(await b.charge('app', DAY, { usd: 0.25, tokens: 10 }), { usd: 2.75, tokens: 110 });
    assert.deepEqual(await a.charge('app', DAY, { usd: 0.000_001, tokens: 1 }), {
      usd: 2.750_001,
      tokens: 111,
    });
    assert.equal(ledger.reads, 1, 'one seed for the deployment');
    await store.close();
  });

  test('a new period starts from what the ledger has for it', async () => {
    const store = new MemoryStore();
    let clock = Date.UTC(2026, 11, 2, 23);
    const book = new BudgetBook(store, new PastSpend({ usd: 0, tokens: 0 }), () => clock);
    await book.charge('app', DAY, { usd: 9, tokens: 0 });
    clock = Date.UTC(2026, 11, 3, 0, 1);
    assert.deepEqual(await book.spent('app', DAY), { usd: 0, tokens: 0 });
    await store.close();
  });

  test('a ledger that cannot be read fails the call, and the next call seeds', async () => {
    const store = new MemoryStore();
    const ledger = new PastSpend({ usd: 4, tokens: 0 });
    ledger.failing = true;
    const book = new BudgetBook(store, ledger);
    await assert.rejects(book.spent('app', DAY), /ledger down/);
    ledger.failing = false;
    assert.deepEqual(await book.spent('app', DAY), { usd: 4, tokens: 0 });
    await store.close();
  });
});
