/**
 * What each key has spent in its budget's current period, kept in the store so that every
 * process of the deployment counts the same spend (the primary's store under `--workers`, Redis
 * across nodes), and seeded from the usage ledger so that a restart resets nothing.
 */
import type { Store } from '../store/store.js';
import type { Budget, Spend } from '../vocabulary/budget.js';
import { budgetPeriod } from './budget.js';

/** Where past spend is read from: the usage ledger. */
export interface SpendSource {
  /** What `keyId` spent from `since` (ms since the epoch) until now. */
  spendSince(keyId: string, since: number): Promise<Spend>;
}

/** Dollars are counted in millionths, so that the store's counters add integers. */
const MICROS = 1_000_000;
/** Counters outlive their period by this much, for clocks that disagree a little. */
const TTL_MARGIN_MS = 86_400_000;

/**
 * Spend per key and period, deployment-wide.
 *
 * @example
 * const book = new BudgetBook(store, ledger);
 * const spend = await book.charge('app', budget, { usd: 0.012, tokens: 900 });
 */
export class BudgetBook {
  /** Periods this process has seen seeded, or is seeding. */
  private readonly seeding = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly source: SpendSource | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** What `keyId` has spent in `budget`'s current period. */
  async spent(keyId: string, budget: Budget): Promise<Spend> {
    const names = await this.counters(keyId, budget);
    const [micros, tokens] = await Promise.all([this.store.read(names.usd), this.store.read(names.tokens)]);
    return { usd: micros / MICROS, tokens };
  }

  /** Adds a metered spend and answers the period's total. */
  async charge(keyId: string, budget: Budget, spend: Spend): Promise<Spend> {
    const names = await this.counters(keyId, budget);
    const [micros, tokens] = await Promise.all([
      this.store.add(names.usd, Math.round(spend.usd * MICROS), names.ttlMs),
      this.store.add(names.tokens, spend.tokens, names.ttlMs),
    ]);
    return { usd: micros / MICROS, tokens };
  }

  /**
   * The counters of the key's current period, seeded first if no process of the deployment has
   * seeded them: the first to count the period in the store (an atomic add) reads the ledger.
   */
  private async counters(
    keyId: string,
    budget: Budget,
  ): Promise<{ usd: string; tokens: string; ttlMs: number | undefined }> {
    const period = budgetPeriod(budget.period, this.now());
    const base = `budget:${keyId}:${period.key}`;
    const ttlMs = period.endsAt === null ? undefined : period.endsAt - this.now() + TTL_MARGIN_MS;
    const names = { usd: `${base}:usd`, tokens: `${base}:tokens`, ttlMs };
    let seeded = this.seeding.get(base);
    if (seeded === undefined) {
      seeded = this.seed(keyId, period.startsAt, names, `${base}:seeded`);
      this.seeding.set(base, seeded);
      // A failed seed (the store or ledger was down) is tried again by the next caller.
      seeded.catch(() => this.seeding.delete(base));
      if (this.seeding.size > 1024) this.seeding.delete(this.seeding.keys().next().value as string);
    }
    await seeded;
    return names;
  }

  private async seed(
    keyId: string,
    since: number,
    names: { usd: string; tokens: string; ttlMs: number | undefined },
    marker: string,
  ): Promise<void> {
    if (this.source === null) return;
    if ((await this.store.add(marker, 1, names.ttlMs)) !== 1) return;
    try {
      const past = await this.source.spendSince(keyId, since);
      await Promise.all([
        this.store.add(names.usd, Math.round(past.usd * MICROS), names.ttlMs),
        this.store.add(names.tokens, past.tokens, names.ttlMs),
      ]);
    } catch (error) {
      // Another process (or this one, later) seeds it then.
      await this.store.add(marker, -1, names.ttlMs).catch(() => {});
      throw error;
    }
  }
}
