/** A key's budget, as configured (`auth.keys[].budget`). */
export interface Budget {
  /** Spend allowed per period, in US dollars; null for no dollar cap. */
  readonly usd: number | null;
  /** Tokens (every kind) allowed per period; null for no token cap. */
  readonly tokens: number | null;
  /** A UTC calendar day, a UTC calendar month, or the key's whole life. */
  readonly period: 'day' | 'month' | 'total';
  /** The share of the budget past which a live session is warned, once. */
  readonly warnAt: number;
}

/** What a key has spent in a period. */
export interface Spend {
  readonly usd: number;
  readonly tokens: number;
}
