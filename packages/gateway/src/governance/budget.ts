/**
 * Budgets as pure functions: which period a moment falls in, where a spend stands against a
 * budget, and what a client is told about it.
 */
import { type Refusal, refusal } from '../refusal.js';
import type { Budget, Spend } from '../vocabulary/budget.js';

/** One period of a budget: its name (for store keys) and its bounds in ms since the epoch. */
export interface BudgetPeriod {
  /** `2026-12-02`, `2026-12` or `total`. */
  readonly key: string;
  readonly startsAt: number;
  /** Null for `total`, which never ends. */
  readonly endsAt: number | null;
}

/**
 * The period of `budget` that `now` falls in: a UTC day, a UTC month, or all time.
 *
 * @example
 * budgetPeriod('month', Date.UTC(2026, 11, 2, 18)).key; // '2026-12'
 */
export function budgetPeriod(period: Budget['period'], now: number): BudgetPeriod {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  switch (period) {
    case 'day': {
      const startsAt = Date.UTC(year, month, date.getUTCDate());
      return { key: new Date(startsAt).toISOString().slice(0, 10), startsAt, endsAt: startsAt + 86_400_000 };
    }
    case 'month': {
      const startsAt = Date.UTC(year, month, 1);
      return {
        key: new Date(startsAt).toISOString().slice(0, 7),
        startsAt,
        endsAt: Date.UTC(year, month + 1, 1),
      };
    }
    case 'total':
      return { key: 'total', startsAt: 0, endsAt: null };
  }
}

/** Where a spend stands: under the warning share, past it, or at the budget (spent). */
export type Standing = 'within' | 'warned' | 'spent';

/**
 * Where `spend` stands against `budget`: the dollar and token caps each count, the nearer decides.
 *
 * @example
 * standing({ usd: 10, tokens: null, period: 'day', warnAt: 0.8 }, { usd: 8.5, tokens: 0 }); // 'warned'
 */
export function standing(budget: Budget, spend: Spend): Standing {
  const share = Math.max(
    budget.usd === null ? 0 : budget.usd === 0 ? Number.POSITIVE_INFINITY : spend.usd / budget.usd,
    budget.tokens === null ? 0 : spend.tokens / budget.tokens,
  );
  if (share >= 1) return 'spent';
  return share >= budget.warnAt ? 'warned' : 'within';
}

/** `$8.50 of $10.00` and/or `85,000 of 100,000 tokens`, for messages. */
export function describeSpend(budget: Budget, spend: Spend): string {
  const parts: string[] = [];
  if (budget.usd !== null) parts.push(`$${spend.usd.toFixed(2)} of $${budget.usd.toFixed(2)}`);
  if (budget.tokens !== null)
    parts.push(
      `${Math.round(spend.tokens).toLocaleString('en-US')} of ${budget.tokens.toLocaleString('en-US')} tokens`,
    );
  return parts.join(' and ');
}

const PERIOD_WORDS: Readonly<Record<Budget['period'], string>> = {
  day: "today's",
  month: "this month's",
  total: 'its',
};

/**
 * The refusal of a session for a key whose budget is spent: 429 with OpenAI's
 * `insufficient_quota` error, as OpenAI answers an account out of credit.
 */
export function budgetSpent(keyId: string, budget: Budget, spend: Spend): Refusal {
  return refusal(
    429,
    'insufficient_quota',
    `The key '${keyId}' has spent ${PERIOD_WORDS[budget.period]} budget (${describeSpend(budget, spend)}).`,
    { type: 'insufficient_quota' },
  );
}

/** The `error` event's `error` that warns a live session its key is near its budget. */
export function budgetWarning(keyId: string, budget: Budget, spend: Spend): BudgetError {
  return {
    type: 'invalid_request_error',
    code: 'budget_warning',
    message: `The key '${keyId}' has spent ${Math.round(budget.warnAt * 100)}% or more of ${PERIOD_WORDS[budget.period]} budget (${describeSpend(budget, spend)}).`,
  };
}

/** The `error` event's `error` before a session is ended for its key's spent budget. */
export function budgetExhausted(keyId: string, budget: Budget, spend: Spend): BudgetError {
  return {
    type: 'insufficient_quota',
    code: 'insufficient_quota',
    message: `The key '${keyId}' has spent ${PERIOD_WORDS[budget.period]} budget (${describeSpend(budget, spend)}); the session ends.`,
  };
}

/** An `error` event's `error` object. */
export interface BudgetError {
  readonly type: string;
  readonly code: string;
  readonly message: string;
}
