/**
 * The SQLite ledger's database work, synchronous as better-sqlite3 is: it runs in the ledger's
 * worker thread (`sqlite-worker.ts`), never on the gateway's event loop. Several processes of
 * one machine (`--workers`) may share the file: it is in WAL mode, writers wait their turn
 * (`busy_timeout`), and migrations run inside an immediate transaction, so two processes
 * opening it at once apply each migration once. With `synchronous = NORMAL` in WAL mode a commit
 * does not wait for the disk.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  GuardrailQuery,
  GuardrailTotals,
  LedgerRecord,
  Spend,
  UsageQuery,
  UsageTotals,
} from './ledger.js';
import { pendingMigrations, SCHEMA_TABLE } from './migrations.js';
import {
  GUARDRAIL_COLUMNS,
  guardrailRow,
  SESSION_COLUMNS,
  sessionRow,
  USAGE_COLUMNS,
  usageRow,
} from './record-rows.js';
import {
  type Dialect,
  guardrailTotals,
  guardrailTotalsSql,
  mergeTotals,
  sessionCountsSql,
  spendSql,
  usageTotalsSql,
} from './usage-sql.js';

const dialect: Dialect = {
  param: () => '?',
  day: (column) => `strftime('%Y-%m-%d', ${column} / 1000, 'unixepoch')`,
  num: (expression) => expression,
};

export interface SqliteLedgerOptions {
  /** The database file; its directory is made when missing. */
  readonly path: string;
  /** How long a write waits for another process's (default 5000 ms). */
  readonly busyTimeoutMs?: number;
}

const insert = (table: string, columns: readonly string[]) =>
  `INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;

/** An open SQLite ledger database (migrated when opened). */
export class SqliteDatabase {
  private readonly db: Database.Database;
  private readonly writeBatch: (records: readonly LedgerRecord[]) => void;

  constructor(options: SqliteLedgerOptions) {
    mkdirSync(dirname(options.path), { recursive: true });
    const db = new Database(options.path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      migrate(db);
    } catch (error) {
      db.close();
      throw error;
    }
    const usage = db.prepare(insert('usage_records', USAGE_COLUMNS));
    const session = db.prepare(insert('session_records', SESSION_COLUMNS));
    const guardrail = db.prepare(insert('guardrail_records', GUARDRAIL_COLUMNS));
    const toInt = (value: boolean) => (value ? 1 : 0);
    this.writeBatch = db.transaction((records: readonly LedgerRecord[]) => {
      for (const record of records) {
        if (record.type === 'usage') usage.run(usageRow(record, toInt));
        else if (record.type === 'session') session.run(sessionRow(record));
        else guardrail.run(guardrailRow(record));
      }
    });
    this.db = db;
  }

  write(records: readonly LedgerRecord[]): void {
    this.writeBatch(records);
  }

  usage(query: UsageQuery): UsageTotals[] {
    const totals = usageTotalsSql(dialect, query);
    const sessions = sessionCountsSql(dialect, query);
    return mergeTotals(
      this.db.prepare(totals.text).all(...totals.params) as Record<string, unknown>[],
      this.db.prepare(sessions.text).all(...sessions.params) as Record<string, unknown>[],
      query.groupBy !== undefined,
    );
  }

  guardrailDecisions(query: GuardrailQuery): GuardrailTotals[] {
    const { text, params } = guardrailTotalsSql(dialect, query);
    return guardrailTotals(
      this.db.prepare(text).all(...params) as Record<string, unknown>[],
      query.groupBy !== undefined,
    );
  }

  spendSince(keyId: string | null, since: number): Spend {
    const { text, params } = spendSql(dialect, keyId, since);
    const row = this.db.prepare(text).get(...params) as { usd: number; tokens: number };
    return { usd: row.usd, tokens: row.tokens };
  }

  close(): void {
    this.db.close();
  }
}

/** Applies the missing migrations, all in one immediate transaction (one process at a time). */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(SCHEMA_TABLE.sqlite);
    const applied = new Set(
      (db.prepare('SELECT version FROM ledger_schema').all() as { version: number }[]).map((r) => r.version),
    );
    const record = db.prepare('INSERT INTO ledger_schema (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of pendingMigrations(applied)) {
      db.exec(migration.sqlite);
      record.run(migration.version, migration.name, Date.now());
    }
  }).immediate();
}
