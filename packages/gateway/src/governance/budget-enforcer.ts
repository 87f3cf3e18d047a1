/**
 * Budgets enforced: a key whose budget is spent gets no new session (429 `insufficient_quota`),
 * and a live session learns of its key's spend after each metered response: past the warning
 * share an `error` event warns it (once), and once the budget is spent it gets an
 * `insufficient_quota` error and close 1008.
 */
import type { WireError } from '@realtime-gateway/protocol';
import { type Refusal, refusal } from '../refusal.js';
import type { Budget, Spend } from '../vocabulary/budget.js';
import { describeError, type SessionLog } from '../vocabulary/session.js';
import { budgetExhausted, budgetSpent, budgetWarning, standing } from './budget.js';
import type { BudgetBook } from './budget-book.js';

/** One metered usage, as the enforcer needs it. */
export interface MeteredSpend extends Spend {
  readonly sessionId: string;
  readonly keyId: string | null;
}

/** The live sessions the enforcer acts on (the session registry). */
export interface PolicySessions {
  has(id: string): boolean;
  warn(id: string, error: WireError): boolean;
  endForPolicy(id: string, error: WireError, reason: string): boolean;
}

export interface BudgetEnforcerOptions {
  readonly book: BudgetBook;
  /** The budget of a key in the current configuration (a reload may change it), or null. */
  readonly budgetOf: (keyId: string) => Budget | null;
  readonly sessions: PolicySessions;
  readonly log: SessionLog;
}

/** The close reason of a session ended for its key's spent budget. */
export const BUDGET_SPENT_REASON = 'budget spent';

const unavailable = (): Refusal =>
  refusal(503, 'budget_unavailable', "The gateway cannot read this key's spend right now; try again.");

/**
 * @example
 * const enforcer = new BudgetEnforcer({ book, budgetOf, sessions: registry, log });
 * writer.onRecord((r) => enforcer.charged({ sessionId: r.sessionId, keyId: r.keyId, usd: r.costUsd, tokens }));
 * const refused = await enforcer.admit('app');
 */
export class BudgetEnforcer {
  /** Sessions already warned; pruned of ended ones as it grows. */
  private readonly warned = new Set<string>();

  constructor(private readonly options: BudgetEnforcerOptions) {}

  /**
   * Null when `keyId` may open a session: it has no budget, or some of it is left. A key whose
   * spend cannot be read (the store or the ledger is down) is refused with 503: a budget is a
   * cap, and an unknown spend may be past it.
   */
  async admit(keyId: string | null): Promise<Refusal | null> {
    const budget = keyId === null ? null : this.options.budgetOf(keyId);
    if (keyId === null || budget === null) return null;
    let spend: Spend;
    try {
      spend = await this.options.book.spent(keyId, budget);
    } catch (error) {
      this.options.log.warn({ keyId, err: describeError(error) }, "a key's spend could not be read");
      return unavailable();
    }
    return standing(budget, spend) === 'spent' ? budgetSpent(keyId, budget, spend) : null;
  }

  /** Adds a metered usage to its key's spend and acts on the session it came from. Never throws. */
  charged(metered: MeteredSpend): void {
    const { keyId } = metered;
    const budget = keyId === null ? null : this.options.budgetOf(keyId);
    if (keyId === null || budget === null) return;
    this.options.book.charge(keyId, budget, metered).then(
      (spend) => this.act(metered.sessionId, keyId, budget, spend),
      (error: unknown) =>
        this.options.log.warn(
          { keyId, sessionId: metered.sessionId, err: describeError(error) },
          "a key's spend could not be counted",
        ),
    );
  }

  private act(sessionId: string, keyId: string, budget: Budget, spend: Spend): void {
    const { sessions, log } = this.options;
    switch (standing(budget, spend)) {
      case 'within':
        return;
      case 'warned':
        if (this.warned.has(sessionId)) return;
        if (sessions.warn(sessionId, budgetWarning(keyId, budget, spend))) {
          this.warned.add(sessionId);
          this.prune();
          log.info({ keyId, sessionId, spentUsd: spend.usd, spentTokens: spend.tokens }, 'budget warning');
        }
        return;
      case 'spent':
        this.warned.delete(sessionId);
        if (sessions.endForPolicy(sessionId, budgetExhausted(keyId, budget, spend), BUDGET_SPENT_REASON))
          log.warn(
            { keyId, sessionId, spentUsd: spend.usd, spentTokens: spend.tokens },
            'budget spent: session ended',
          );
    }
  }

  private prune(): void {
    if (this.warned.size < 1024) return;
    for (const id of this.warned) if (!this.options.sessions.has(id)) this.warned.delete(id);
  }
}
