/**
 * The gateway's ledger as its configuration says: SQLite or PostgreSQL behind a batching
 * writer, or none when `ledger.enabled` is false.
 */
import type { SessionLog } from '../vocabulary/session.js';
import type { LedgerConfig } from './config.js';
import type { Ledger } from './ledger.js';
import { PostgresLedger } from './postgres-ledger.js';
import { SqliteLedger } from './sqlite-ledger.js';
import { LedgerWriter, type LedgerWriterObserver } from './writer.js';

/** The store a configuration names (not opened yet: the writer opens it, and retries). */
export function ledgerStore(config: LedgerConfig): Ledger {
  const store = config.store;
  return store.kind === 'sqlite'
    ? new SqliteLedger({ path: store.path })
    : new PostgresLedger({ url: store.url, password: store.password, maxConnections: store.maxConnections });
}

/**
 * @example
 * const writer = openLedger(config.ledger, log, metrics?.ledger); // null when disabled
 */
export function openLedger(
  config: LedgerConfig,
  log: SessionLog,
  observer?: LedgerWriterObserver,
): LedgerWriter | null {
  if (!config.enabled) return null;
  return new LedgerWriter(ledgerStore(config), {
    batchSize: config.batchSize,
    flushIntervalMs: config.flushIntervalMs,
    maxQueued: config.maxQueued,
    retryMs: config.retryMs,
    log,
    ...(observer ? { observer } : {}),
  });
}
