/**
 * Writes records to a {@link Ledger} off the relay's path: `record()` only appends to a queue;
 * batches go out when `batchSize` records wait or every `flushIntervalMs`, one write at a time.
 * When the ledger cannot be opened or written, the records stay queued and the write is tried
 * again every `retryMs`. The queue is bounded (`maxQueued`): past it, new records are lost,
 * and every loss is counted (the observer's `lost`, a metric) and logged — the first at once,
 * then a summary at most every {@link LOSS_REPORT_MS}, so a long outage is never silent and
 * never floods the log.
 *
 * It is also what the rest of the gateway asks about spend: {@link LedgerWriter.spendSince}
 * answers from the ledger plus what is still queued, and {@link LedgerWriter.onRecord} tells
 * of each usage record as it is metered.
 */
import { describeError, NO_LOG, type SessionLog } from '../vocabulary/session.js';
import type {
  GuardrailQuery,
  GuardrailTotals,
  Ledger,
  LedgerRecord,
  Spend,
  UsageQuery,
  UsageRecord,
  UsageTotals,
} from './ledger.js';

/** At most one summary of lost records per this many milliseconds. */
export const LOSS_REPORT_MS = 10_000;

/** Why records were lost. */
export type LossReason = 'queue_full' | 'closed';

/** What the writer reports, for metrics. */
export interface LedgerWriterObserver {
  written(count: number): void;
  lost(count: number, reason: LossReason): void;
  writeFailed(): void;
  /** Records waiting now (after every change of the queue's length by a batch or a record). */
  queued(count: number): void;
}

export interface LedgerWriterOptions {
  /** Records per write (default 500). */
  readonly batchSize?: number;
  /** Longest a record waits before its batch is written (default 1000 ms). */
  readonly flushIntervalMs?: number;
  /** Records queued at most while the ledger is slow or down (default 100,000). */
  readonly maxQueued?: number;
  /** Wait after a failed open or write before the next try (default 5000 ms). */
  readonly retryMs?: number;
  readonly log?: SessionLog;
  readonly observer?: LedgerWriterObserver;
  readonly now?: () => number;
}

/** Told of each usage record as it is metered, before it is written. */
export type RecordListener = (record: UsageRecord) => void;

/**
 * @example
 * const writer = new LedgerWriter(new SqliteLedger({ path }), { log });
 * writer.onRecord((r) => running.add(r.keyId, r.costUsd));
 * writer.record(usageRecord);
 * const spent = await writer.spendSince('web-app', Date.parse('2026-12-01T00:00:00Z'));
 * await writer.close(); // writes what is queued
 */
export class LedgerWriter {
  readonly ledger: Ledger;
  private readonly batchSize: number;
  private readonly maxQueued: number;
  private readonly retryMs: number;
  private readonly log: SessionLog;
  private readonly observer: LedgerWriterObserver | null;
  private readonly now: () => number;
  private readonly listeners = new Set<RecordListener>();
  private queue: LedgerRecord[] = [];
  private opened = false;
  /** Waiting for the retry timer: only it (or an explicit flush) tries again. */
  private down = false;
  /** Since the first failure, until a write succeeds: logged once each way. */
  private outage = false;
  private closed = false;
  private pumping: Promise<void> | null = null;
  private soon: NodeJS.Immediate | null = null;
  private retry: NodeJS.Timeout | null = null;
  private readonly timer: NodeJS.Timeout;
  /** Reads and writes take turns, so a read sees each record either stored or queued, never both. */
  private turn: Promise<unknown> = Promise.resolve();
  private waiters: (() => void)[] = [];
  private unreportedLoss = 0;
  private lastLossReport = Number.NEGATIVE_INFINITY;

  constructor(ledger: Ledger, options: LedgerWriterOptions = {}) {
    this.ledger = ledger;
    this.batchSize = options.batchSize ?? 500;
    this.maxQueued = options.maxQueued ?? 100_000;
    this.retryMs = options.retryMs ?? 5000;
    this.log = options.log ?? NO_LOG;
    this.observer = options.observer ?? null;
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => this.tick(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Records waiting to be written. */
  get queued(): number {
    return this.queue.length;
  }

  /** Queues a record; never waits and never throws. */
  record(record: LedgerRecord): void {
    if (record.type === 'usage') for (const listener of this.listeners) this.tell(listener, record);
    if (this.closed) {
      this.lose(1, 'closed');
      return;
    }
    if (this.queue.length >= this.maxQueued) {
      this.lose(1, 'queue_full');
      return;
    }
    this.queue.push(record);
    this.observer?.queued(this.queue.length);
    if (this.queue.length >= this.batchSize && !this.down && this.soon === null)
      this.soon = setImmediate(() => {
        this.soon = null;
        void this.pump();
      });
  }

  /**
   * Calls `listener` with every usage record metered from now on (synchronously, as it is
   * metered: keep it cheap). Returns a function that stops it.
   */
  onRecord(listener: RecordListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * What a key (null: sessions without a key) spent at or after `since` (milliseconds since the
   * epoch): the ledger's records plus those still queued. Rejects when the ledger cannot be read.
   */
  spendSince(keyId: string | null, since: number): Promise<Spend> {
    return this.inTurn(async () => {
      await this.ensureOpen();
      const stored = await this.ledger.spendSince(keyId, since);
      let usd = stored.usd;
      let tokens = stored.tokens;
      for (const record of this.queue) {
        if (record.type !== 'usage' || record.keyId !== keyId || record.at < since) continue;
        usd += record.costUsd;
        tokens += record.tokens.totalTokens;
      }
      return { usd, tokens };
    });
  }

  /** Totals of what the ledger holds (records still queued are not in them yet). */
  usage(query: UsageQuery): Promise<UsageTotals[]> {
    return this.inTurn(async () => {
      await this.ensureOpen();
      return this.ledger.usage(query);
    });
  }

  /** Counts of the guardrail decisions the ledger holds (records still queued are not in them yet). */
  guardrailDecisions(query: GuardrailQuery): Promise<GuardrailTotals[]> {
    return this.inTurn(async () => {
      await this.ensureOpen();
      return this.ledger.guardrailDecisions(query);
    });
  }

  /** Tries to write everything queued now, retry wait or not; true when nothing is left queued. */
  async flush(): Promise<boolean> {
    this.down = false;
    await this.pump();
    return this.queue.length === 0;
  }

  /** Resolves once every record queued so far has been written, however many retries it takes. */
  whenWritten(): Promise<void> {
    if (this.queue.length === 0 && this.pumping === null) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (!this.down) void this.pump();
    });
  }

  /** Writes what is queued (one try), then closes the ledger; what could not be written is lost, and said so. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.soon !== null) clearImmediate(this.soon);
    if (this.retry !== null) clearTimeout(this.retry);
    await this.flush();
    if (this.queue.length > 0) {
      const count = this.queue.length;
      this.queue = [];
      this.observer?.queued(0);
      this.lose(count, 'closed');
    }
    this.reportLoss(true);
    for (const waiter of this.waiters.splice(0)) waiter();
    await this.inTurn(() => this.ledger.close()).catch((error: unknown) =>
      this.log.warn(
        { ledger: this.ledger.description, err: describeError(error) },
        'closing the usage ledger failed',
      ),
    );
  }

  private tick(): void {
    this.reportLoss(false);
    if (!this.down && (this.queue.length > 0 || !this.opened)) void this.pump();
  }

  /** Writes batches until the queue is empty or a write fails; one pump at a time. */
  private pump(): Promise<void> {
    this.pumping ??= this.drain().finally(() => {
      this.pumping = null;
    });
    return this.pumping;
  }

  private async drain(): Promise<void> {
    try {
      await this.inTurn(() => this.ensureOpen());
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, this.batchSize);
        await this.inTurn(async () => {
          await this.ledger.write(batch);
          // Only records taken from the front were written; any recorded meanwhile stay.
          this.queue.splice(0, batch.length);
        });
        this.observer?.written(batch.length);
        this.observer?.queued(this.queue.length);
      }
      this.recovered();
      for (const waiter of this.waiters.splice(0)) waiter();
    } catch (error) {
      this.failed(error);
    }
  }

  private async ensureOpen(): Promise<void> {
    if (this.opened) return;
    await this.ledger.open();
    this.opened = true;
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work);
    this.turn = run.catch(() => {});
    return run;
  }

  private failed(error: unknown): void {
    this.observer?.writeFailed();
    if (!this.outage)
      this.log.error(
        {
          ledger: this.ledger.description,
          err: describeError(error),
          queued: this.queue.length,
          retryMs: this.retryMs,
        },
        'the usage ledger is unavailable; records are kept queued and retried',
      );
    this.outage = true;
    this.down = true;
    if (this.closed) return;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.down = false;
      void this.pump();
    }, this.retryMs);
    this.retry.unref();
  }

  private recovered(): void {
    if (!this.outage) return;
    this.outage = false;
    this.log.info(
      { ledger: this.ledger.description },
      'the usage ledger is available again; queued records written',
    );
  }

  private lose(count: number, reason: LossReason): void {
    this.observer?.lost(count, reason);
    if (this.unreportedLoss === 0 && this.now() - this.lastLossReport >= LOSS_REPORT_MS) {
      this.lastLossReport = this.now();
      this.log.error(
        { ledger: this.ledger.description, lost: count, reason, maxQueued: this.maxQueued },
        'usage records lost: the ledger queue is full or the ledger closed',
      );
      return;
    }
    this.unreportedLoss += count;
  }

  /** Logs the records lost since the last report, at most every LOSS_REPORT_MS (or now, when closing). */
  private reportLoss(now: boolean): void {
    if (this.unreportedLoss === 0 || (!now && this.now() - this.lastLossReport < LOSS_REPORT_MS)) return;
    this.log.error(
      { ledger: this.ledger.description, lost: this.unreportedLoss, maxQueued: this.maxQueued },
      'usage records lost since the last report: the ledger queue is full or the ledger closed',
    );
    this.unreportedLoss = 0;
    this.lastLossReport = this.now();
  }

  private tell(listener: RecordListener, record: UsageRecord): void {
    try {
      listener(record);
    } catch (error) {
      this.log.error({ err: describeError(error) }, 'a usage record listener failed');
    }
  }
}
