/**
 * The ledger's schema, as numbered migrations for each store. A store records the versions it
 * applied (`ledger_schema`) and applies the missing ones at open, in order, each in the same
 * transaction as its record; a migration is never edited once released, only followed by
 * another. Times are milliseconds since the epoch; costs are USD.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

/** The table that records applied migrations; made before any migration runs. */
export const SCHEMA_TABLE = {
  sqlite:
    'CREATE TABLE IF NOT EXISTS ledger_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  postgres:
    'CREATE TABLE IF NOT EXISTS ledger_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
} as const;

const usageColumns = (int: string, real: string, bool: string) => `
  id TEXT PRIMARY KEY,
  at ${int} NOT NULL,
  session_id TEXT NOT NULL,
  key_id TEXT,
  model TEXT NOT NULL,
  session_model TEXT NOT NULL,
  upstream TEXT NOT NULL,
  source TEXT NOT NULL,
  input_text ${int} NOT NULL,
  input_audio ${int} NOT NULL,
  input_image ${int} NOT NULL,
  cached_text ${int} NOT NULL,
  cached_audio ${int} NOT NULL,
  cached_image ${int} NOT NULL,
  output_text ${int} NOT NULL,
  output_audio ${int} NOT NULL,
  total_tokens ${int} NOT NULL,
  audio_seconds ${real} NOT NULL,
  cost_usd ${real} NOT NULL,
  priced ${bool} NOT NULL`;

const sessionColumns = (int: string) => `
  id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  key_id TEXT,
  model TEXT NOT NULL,
  upstream_model TEXT NOT NULL,
  upstream TEXT NOT NULL,
  intent TEXT NOT NULL,
  started_at ${int} NOT NULL,
  ended_at ${int} NOT NULL,
  duration_ms ${int} NOT NULL,
  cause TEXT NOT NULL,
  client_frames ${int} NOT NULL,
  client_bytes ${int} NOT NULL,
  upstream_frames ${int} NOT NULL,
  upstream_bytes ${int} NOT NULL`;

// Usage is read by key and time (budgets, `/admin/usage?key=`) and by time alone.
const INDEXES = `
CREATE INDEX usage_records_key_at ON usage_records (key_id, at);
CREATE INDEX usage_records_at ON usage_records (at);
CREATE INDEX session_records_key_started ON session_records (key_id, started_at);
CREATE INDEX session_records_started ON session_records (started_at);`;

const guardrailTable = (int: string) => `CREATE TABLE guardrail_records (
  id TEXT PRIMARY KEY,
  at ${int} NOT NULL,
  session_id TEXT NOT NULL,
  key_id TEXT,
  model TEXT NOT NULL,
  upstream TEXT NOT NULL,
  guardrail TEXT NOT NULL,
  direction TEXT NOT NULL,
  action TEXT NOT NULL,
  cause TEXT NOT NULL);
CREATE INDEX guardrail_records_key_at ON guardrail_records (key_id, at);
CREATE INDEX guardrail_records_at ON guardrail_records (at);`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'usage and session records',
    sqlite: `CREATE TABLE usage_records (${usageColumns('INTEGER', 'REAL', 'INTEGER')});
CREATE TABLE session_records (${sessionColumns('INTEGER')});`,
    postgres: `CREATE TABLE usage_records (${usageColumns('BIGINT', 'DOUBLE PRECISION', 'BOOLEAN')});
CREATE TABLE session_records (${sessionColumns('BIGINT')});`,
  },
  { version: 2, name: 'indexes by key and time', sqlite: INDEXES, postgres: INDEXES },
  {
    version: 3,
    name: 'guardrail decisions',
    sqlite: guardrailTable('INTEGER'),
    postgres: guardrailTable('BIGINT'),
  },
];

/** The migrations a store at `applied` versions still needs, in order. */
export function pendingMigrations(applied: ReadonlySet<number>): Migration[] {
  return MIGRATIONS.filter((migration) => !applied.has(migration.version));
}
