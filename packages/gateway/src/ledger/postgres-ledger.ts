/**
 * The ledger in PostgreSQL, for deployments of several nodes that share one. Migrations run
 * under a transaction-scoped advisory lock, so nodes starting together apply each once. A
 * batch is one multi-row INSERT per table in one transaction; a record already stored (a batch
 * retried after its acknowledgement was lost) is skipped by its id.
 *
 * The password comes apart from the URL (from an environment variable), is joined to it only for
 * the driver, and is removed from any error message that would repeat it, so it never reaches a
 * log.
 */
import pg from 'pg';
import type {
  GuardrailQuery,
  GuardrailRecord,
  GuardrailTotals,
  Ledger,
  LedgerRecord,
  SessionRecord,
  Spend,
  UsageQuery,
  UsageRecord,
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
  param: (index) => `$${index}`,
  day: (column) => `to_char(to_timestamp(${column} / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  num: (expression) => `(${expression})::float8`,
};

/** An arbitrary constant naming the gateway's migration lock among the database's advisory locks. */
const MIGRATION_LOCK = 727_245_001;
/** PostgreSQL takes at most 65,535 parameters in one statement. */
const MAX_PARAMETERS = 65_535;

export interface PostgresLedgerOptions {
  /** `postgres://user@host:port/database`; a password in it works but is better given apart. */
  readonly url: string;
  readonly password?: string | null;
  /** Connections kept (default 2: one batch is written at a time, reads are rare). */
  readonly maxConnections?: number;
  /** How long connecting may take (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /** How long a statement may run (default 30000 ms). */
  readonly statementTimeoutMs?: number;
}

/**
 * @example
 * const ledger = new PostgresLedger({ url: 'postgres://gateway@db/ledger', password: process.env.PGPASSWORD });
 * await ledger.open();
 */
export class PostgresLedger implements Ledger {
  readonly description: string;
  private pool: pg.Pool | null = null;
  private readonly secrets: string[];

  constructor(private readonly options: PostgresLedgerOptions) {
    this.description = `postgres ${describeUrl(options.url)}`;
    const inUrl = passwordOf(options.url);
    this.secrets = [options.password, inUrl].filter(
      (s): s is string => typeof s === 'string' && s.length > 0,
    );
  }

  async open(): Promise<void> {
    if (this.pool === null) {
      const pool = new pg.Pool({
        connectionString: withPassword(this.options.url, this.options.password ?? null),
        max: this.options.maxConnections ?? 2,
        connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5000,
        statement_timeout: this.options.statementTimeoutMs ?? 30_000,
        idleTimeoutMillis: 30_000,
        application_name: 'realtime-gateway',
      });
      // An idle connection the server drops is reported here; without a listener it would end
      // the process. The next query gets a new connection, or fails and is retried.
      pool.on('error', () => {});
      this.pool = pool;
    }
    await this.transaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(SCHEMA_TABLE.postgres);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM ledger_schema');
      for (const migration of pendingMigrations(new Set(rows.map((row) => row.version)))) {
        await client.query(migration.postgres);
        await client.query('INSERT INTO ledger_schema (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
      }
    });
  }

  async write(records: readonly LedgerRecord[]): Promise<void> {
    const pool = this.opened();
    const usage = records
      .filter((r): r is UsageRecord => r.type === 'usage')
      .map((r) => usageRow(r, Boolean));
    const sessions = records.filter((r): r is SessionRecord => r.type === 'session').map(sessionRow);
    const guardrails = records.filter((r): r is GuardrailRecord => r.type === 'guardrail').map(guardrailRow);
    await this.transaction(pool, async (client) => {
      for (const statement of inserts('usage_records', USAGE_COLUMNS, usage)) await client.query(statement);
      for (const statement of inserts('session_records', SESSION_COLUMNS, sessions))
        await client.query(statement);
      for (const statement of inserts('guardrail_records', GUARDRAIL_COLUMNS, guardrails))
        await client.query(statement);
    });
  }

  /** Runs `work` on one connection between BEGIN and COMMIT, rolled back if it throws. */
  private transaction(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    return this.guard(async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await work(client);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    });
  }

  async usage(query: UsageQuery): Promise<UsageTotals[]> {
    const pool = this.opened();
    const totals = usageTotalsSql(dialect, query);
    const sessions = sessionCountsSql(dialect, query);
    return this.guard(async () => {
      const [a, b] = await Promise.all([
        pool.query(totals.text, totals.params),
        pool.query(sessions.text, sessions.params),
      ]);
      return mergeTotals(a.rows, b.rows, query.groupBy !== undefined);
    });
  }

  async guardrailDecisions(query: GuardrailQuery): Promise<GuardrailTotals[]> {
    const pool = this.opened();
    const { text, params } = guardrailTotalsSql(dialect, query);
    return this.guard(async () => {
      const { rows } = await pool.query(text, params);
      return guardrailTotals(rows, query.groupBy !== undefined);
    });
  }

  async spendSince(keyId: string | null, since: number): Promise<Spend> {
    const pool = this.opened();
    const { text, params } = spendSql(dialect, keyId, since);
    return this.guard(async () => {
      const { rows } = await pool.query<{ usd: number; tokens: number }>(text, params);
      return { usd: rows[0]!.usd, tokens: rows[0]!.tokens };
    });
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.end();
  }

  private opened(): pg.Pool {
    if (this.pool === null) throw new Error('The PostgreSQL ledger is not open.');
    return this.pool;
  }

  /** Runs `work`; an error it throws is thrown again with any password taken out of its message. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw scrub(error, this.secrets);
    }
  }
}

/** Multi-row INSERTs of `rows`, as many as the parameter limit needs. */
function inserts(table: string, columns: readonly string[], rows: readonly unknown[][]): pg.QueryConfig[] {
  const perStatement = Math.floor(MAX_PARAMETERS / columns.length);
  const statements: pg.QueryConfig[] = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => {
      const placeholders = row.map((value) => {
        values.push(value);
        return `$${values.length}`;
      });
      return `(${placeholders.join(', ')})`;
    });
    statements.push({
      text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`,
      values,
    });
  }
  return statements;
}

/** The URL's host, port and database, for logs: never its user's password. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
  } catch {
    return '(an unparsable URL)';
  }
}

/** The URL with the password in it: the driver reads the URL's fields over any given beside it. */
function withPassword(url: string, password: string | null): string {
  if (!password) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

function passwordOf(url: string): string | null {
  try {
    const password = new URL(url).password;
    return password === '' ? null : decodeURIComponent(password);
  } catch {
    return null;
  }
}

/** The error, or an error like it whose message no longer contains any of `secrets`. */
function scrub(error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof Error) || !secrets.some((secret) => error.message.includes(secret))) return error;
  let message = error.message;
  for (const secret of secrets) message = message.split(secret).join('[redacted]');
  return new Error(message);
}
