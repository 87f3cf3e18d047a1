/**
 * The usage ledger: where metered usage and ended sessions are written, durably, and read back
 * as totals. One interface, two stores: SQLite in the data directory (the default, for one
 * node) and PostgreSQL (for several). The gateway writes through a {@link LedgerWriter}
 * (`writer.ts`), which batches and retries; a `Ledger` itself is only the store.
 */
import type { Spend } from '../vocabulary/budget.js';
import type { SessionIntent } from '../vocabulary/session.js';
import type { TokenCounts } from './tokens.js';

/**
 * One metered usage: a `response.done`, an input transcription, or a translation session's
 * audio (its duration, in `tokens.audioSeconds`: translation events carry no usage).
 */
export interface UsageRecord {
  readonly type: 'usage';
  /** Unique; a batch written twice (its acknowledgement lost) is stored once. */
  readonly id: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly sessionId: string;
  /** The gateway key's id, or null when auth is off or passing through. */
  readonly keyId: string | null;
  /**
   * The model whose usage it is and whose price it was costed at: the session's model as sent
   * upstream for a response, the transcription model for a transcription.
   */
  readonly model: string;
  /** The model the client asked for (before aliases). */
  readonly sessionModel: string;
  readonly upstream: string;
  readonly source: 'response' | 'transcription' | 'translation';
  readonly tokens: TokenCounts;
  readonly costUsd: number;
  /** False when the price table does not know {@link model}: the cost is 0 and means nothing. */
  readonly priced: boolean;
}

/** One ended session. */
export interface SessionRecord {
  readonly type: 'session';
  readonly id: string;
  readonly sessionId: string;
  readonly keyId: string | null;
  /** As the client asked for it. */
  readonly model: string;
  /** As sent upstream. */
  readonly upstreamModel: string;
  readonly upstream: string;
  readonly intent: SessionIntent;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
  /** Why it ended (`client_closed`, `idle_timeout`, …). */
  readonly cause: string;
  readonly clientFrames: number;
  readonly clientBytes: number;
  readonly upstreamFrames: number;
  readonly upstreamBytes: number;
}

/** One guardrail decision (`guardrails/`): a text stopped, or let through unchecked. Never the text. */
export interface GuardrailRecord {
  readonly type: 'guardrail';
  readonly id: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly sessionId: string;
  readonly keyId: string | null;
  /** As the client asked for it. */
  readonly model: string;
  readonly upstream: string;
  readonly guardrail: string;
  readonly direction: 'input' | 'output';
  readonly action: 'block' | 'end_session' | 'fail_open';
  readonly cause: string;
}

export type LedgerRecord = UsageRecord | SessionRecord | GuardrailRecord;

/** How {@link Ledger.usage} groups its totals. */
export type UsageGrouping = 'key' | 'model' | 'day';

/** Which records {@link Ledger.usage} adds up; every field narrows. */
export interface UsageQuery {
  readonly keyId?: string;
  readonly model?: string;
  /** Milliseconds since the epoch, inclusive. */
  readonly from?: number;
  /** Milliseconds since the epoch, exclusive. */
  readonly to?: number;
  readonly groupBy?: UsageGrouping;
}

/** Totals over a set of records. */
export interface UsageTotals {
  /** The group's key id (null: no key), model or UTC day (`2026-12-03`); null when not grouped. */
  readonly group: string | null;
  readonly tokens: TokenCounts;
  readonly costUsd: number;
  /**
   * Distinct sessions with a record in the set: usage, or the session's own record (dated by
   * its start, its model the one the client asked for).
   */
  readonly sessions: number;
  /** Usage records whose model had no price. */
  readonly unpriced: number;
}

/** How {@link Ledger.guardrailDecisions} groups its counts. */
export type GuardrailGrouping = 'guardrail' | 'action' | 'key' | 'model' | 'day';

/** Which guardrail decisions {@link Ledger.guardrailDecisions} counts; every field narrows. */
export interface GuardrailQuery {
  readonly keyId?: string;
  readonly model?: string;
  readonly guardrail?: string;
  /** Milliseconds since the epoch, inclusive. */
  readonly from?: number;
  /** Milliseconds since the epoch, exclusive. */
  readonly to?: number;
  readonly groupBy?: GuardrailGrouping;
}

/** Counts of the guardrail decisions in a set, by action and direction. */
export interface GuardrailTotals {
  /** The group's guardrail, action, key id (null: no key), model or UTC day; null when not grouped. */
  readonly group: string | null;
  readonly decisions: number;
  readonly block: number;
  readonly endSession: number;
  readonly failOpen: number;
  readonly input: number;
  readonly output: number;
  /** Distinct sessions with a decision in the set. */
  readonly sessions: number;
}

export type { Spend } from '../vocabulary/budget.js';

/**
 * A store of usage, session and guardrail records.
 *
 * @example
 * const ledger = new SqliteLedger({ path: 'ledger.sqlite' });
 * await ledger.open(); // migrates
 * await ledger.write([record]);
 * const [all] = await ledger.usage({ from: Date.parse('2026-12-01') });
 * await ledger.close();
 */
export interface Ledger {
  /** For logs: `sqlite` or `postgres`, and where (never a password). */
  readonly description: string;
  /** Connects and applies the migrations the store lacks; may be called again after a failure. */
  open(): Promise<void>;
  /** Writes every record or none; a record whose id is already stored is skipped. */
  write(records: readonly LedgerRecord[]): Promise<void>;
  usage(query: UsageQuery): Promise<UsageTotals[]>;
  guardrailDecisions(query: GuardrailQuery): Promise<GuardrailTotals[]>;
  /** The cost and total tokens of a key's usage (null: sessions without a key) at or after `since`. */
  spendSince(keyId: string | null, since: number): Promise<Spend>;
  close(): Promise<void>;
}
