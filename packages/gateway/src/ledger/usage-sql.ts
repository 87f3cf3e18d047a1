/**
 * The SQL both stores answer `/admin/usage`, `/admin/guardrails` and spend questions with. The
 * stores differ only in how a parameter is written, how a time becomes a UTC day, and how a sum
 * comes back as a number, so the statements are made here once from a {@link Dialect}.
 */
import type { GuardrailQuery, GuardrailTotals, UsageQuery, UsageTotals } from './ledger.js';
import { TOKEN_KINDS, type TokenCounts } from './tokens.js';

export interface Dialect {
  /** The placeholder of the `index`th parameter (1-based). */
  param(index: number): string;
  /** A millisecond time column as its UTC day, `YYYY-MM-DD`. */
  day(column: string): string;
  /** An aggregate as a double (PostgreSQL returns sums of BIGINT as numeric strings). */
  num(expression: string): string;
}

/** The token columns, in the order of {@link TOKEN_KINDS}. */
export const TOKEN_COLUMNS: Readonly<Record<keyof TokenCounts, string>> = {
  inputText: 'input_text',
  inputAudio: 'input_audio',
  inputImage: 'input_image',
  cachedText: 'cached_text',
  cachedAudio: 'cached_audio',
  cachedImage: 'cached_image',
  outputText: 'output_text',
  outputAudio: 'output_audio',
  totalTokens: 'total_tokens',
  audioSeconds: 'audio_seconds',
};

export interface Statement {
  readonly text: string;
  readonly params: unknown[];
}

interface Table {
  readonly name: string;
  readonly time: string;
  readonly model: string;
}

const USAGE: Table = { name: 'usage_records', time: 'at', model: 'model' };
const SESSIONS: Table = { name: 'session_records', time: 'started_at', model: 'upstream_model' };
const GUARDRAILS: Table = { name: 'guardrail_records', time: 'at', model: 'model' };

/** What a query may narrow by and group by, whichever records it reads. */
type RecordQuery = UsageQuery | GuardrailQuery;

function groupExpression(dialect: Dialect, table: Table, query: RecordQuery): string {
  switch (query.groupBy) {
    case 'key':
      return 'key_id';
    case 'model':
      return table.model;
    case 'day':
      return dialect.day(table.time);
    case 'guardrail':
    case 'action':
      return query.groupBy;
    default:
      return 'NULL';
  }
}

/** The WHERE clause of a query on `table`, its parameters appended to `params`. */
function where(dialect: Dialect, table: Table, query: RecordQuery, params: unknown[]): string {
  const conditions: string[] = [];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(condition(dialect.param(params.length)));
  };
  if (query.keyId !== undefined) add((p) => `key_id = ${p}`, query.keyId);
  if (query.model !== undefined) add((p) => `${table.model} = ${p}`, query.model);
  if ('guardrail' in query && query.guardrail !== undefined) add((p) => `guardrail = ${p}`, query.guardrail);
  if (query.from !== undefined) add((p) => `${table.time} >= ${p}`, query.from);
  if (query.to !== undefined) add((p) => `${table.time} < ${p}`, query.to);
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
}

/**
 * The token and cost totals of the usage records a query selects, by group.
 *
 * @example
 * const { text, params } = usageTotalsSql(sqliteDialect, { keyId: 'web', groupBy: 'day' });
 */
export function usageTotalsSql(dialect: Dialect, query: UsageQuery): Statement {
  const params: unknown[] = [];
  const sums = TOKEN_KINDS.map(
    (kind) => `${dialect.num(`COALESCE(SUM(${TOKEN_COLUMNS[kind]}), 0)`)} AS ${TOKEN_COLUMNS[kind]}`,
  );
  const text =
    `SELECT ${groupExpression(dialect, USAGE, query)} AS grp, ${sums.join(', ')}, ` +
    `${dialect.num('COALESCE(SUM(cost_usd), 0)')} AS cost_usd, ` +
    `${dialect.num('COALESCE(SUM(CASE WHEN priced THEN 0 ELSE 1 END), 0)')} AS unpriced ` +
    `FROM usage_records${where(dialect, USAGE, query, params)} GROUP BY grp`;
  return { text, params };
}

/** The distinct sessions, by group, with a usage or session record the query selects. */
export function sessionCountsSql(dialect: Dialect, query: UsageQuery): Statement {
  const params: unknown[] = [];
  const part = (table: Table) =>
    `SELECT ${groupExpression(dialect, table, query)} AS grp, session_id FROM ${table.name}${where(dialect, table, query, params)}`;
  const text =
    `SELECT grp, ${dialect.num('COUNT(DISTINCT session_id)')} AS sessions ` +
    `FROM (${part(USAGE)} UNION ALL ${part(SESSIONS)}) AS selected GROUP BY grp`;
  return { text, params };
}

/**
 * The guardrail decisions a query selects, counted by action and direction, by group.
 *
 * @example
 * const { text, params } = guardrailTotalsSql(sqliteDialect, { keyId: 'web', groupBy: 'guardrail' });
 */
export function guardrailTotalsSql(dialect: Dialect, query: GuardrailQuery): Statement {
  const params: unknown[] = [];
  const count = (column: string, value: string) =>
    dialect.num(`COALESCE(SUM(CASE WHEN ${column} = '${value}' THEN 1 ELSE 0 END), 0)`);
  const text =
    `SELECT ${groupExpression(dialect, GUARDRAILS, query)} AS grp, ${dialect.num('COUNT(*)')} AS decisions, ` +
    `${count('action', 'block')} AS block, ${count('action', 'end_session')} AS end_session, ` +
    `${count('action', 'fail_open')} AS fail_open, ${count('direction', 'input')} AS input, ` +
    `${count('direction', 'output')} AS output, ${dialect.num('COUNT(DISTINCT session_id)')} AS sessions ` +
    `FROM guardrail_records${where(dialect, GUARDRAILS, query, params)} GROUP BY grp`;
  return { text, params };
}

/** The rows of {@link guardrailTotalsSql} as totals, ordered by group (null first); one row of zeros when nothing matched and nothing is grouped. */
export function guardrailTotals(rows: readonly Row[], grouped: boolean): GuardrailTotals[] {
  const totals = rows.map((row) => ({
    group: row.grp === null || row.grp === undefined ? null : String(row.grp),
    decisions: Number(row.decisions),
    block: Number(row.block),
    endSession: Number(row.end_session),
    failOpen: Number(row.fail_open),
    input: Number(row.input),
    output: Number(row.output),
    sessions: Number(row.sessions),
  }));
  if (!grouped && totals.length === 0)
    totals.push({
      group: null,
      decisions: 0,
      block: 0,
      endSession: 0,
      failOpen: 0,
      input: 0,
      output: 0,
      sessions: 0,
    });
  return totals.sort(byGroup);
}

/** A key's cost and total tokens since a time (the key null: sessions without one). */
export function spendSql(dialect: Dialect, keyId: string | null, since: number): Statement {
  const params: unknown[] = keyId === null ? [since] : [keyId, since];
  const key = keyId === null ? 'key_id IS NULL' : `key_id = ${dialect.param(1)}`;
  const text =
    `SELECT ${dialect.num('COALESCE(SUM(cost_usd), 0)')} AS usd, ${dialect.num('COALESCE(SUM(total_tokens), 0)')} AS tokens ` +
    `FROM usage_records WHERE ${key} AND at >= ${dialect.param(params.length)}`;
  return { text, params };
}

type Row = Record<string, unknown>;

/**
 * The rows of {@link usageTotalsSql} and {@link sessionCountsSql} as totals, ordered by group
 * (null first). A group with sessions but no usage has zero tokens; a query that groups nothing
 * answers one row of totals even when nothing matched.
 */
export function mergeTotals(
  totals: readonly Row[],
  sessions: readonly Row[],
  grouped: boolean,
): UsageTotals[] {
  const groups = new Map<string | null, { totals: Row | null; sessions: number }>();
  const groupOf = (row: Row) => (row.grp === null || row.grp === undefined ? null : String(row.grp));
  for (const row of totals) groups.set(groupOf(row), { totals: row, sessions: 0 });
  for (const row of sessions) {
    const group = groupOf(row);
    const entry = groups.get(group) ?? { totals: null, sessions: 0 };
    entry.sessions = Number(row.sessions);
    groups.set(group, entry);
  }
  if (!grouped && groups.size === 0) groups.set(null, { totals: null, sessions: 0 });
  const out: UsageTotals[] = [];
  for (const [group, entry] of groups) {
    const row = entry.totals ?? {};
    const tokens = {} as Record<keyof TokenCounts, number>;
    for (const kind of TOKEN_KINDS) tokens[kind] = Number(row[TOKEN_COLUMNS[kind]] ?? 0);
    out.push({
      group,
      tokens,
      costUsd: Number(row.cost_usd ?? 0),
      sessions: entry.sessions,
      unpriced: Number(row.unpriced ?? 0),
    });
  }
  return out.sort(byGroup);
}

/** Null first, then groups in order. */
function byGroup(a: { readonly group: string | null }, b: { readonly group: string | null }): number {
  return a.group === b.group ? 0 : a.group === null ? -1 : b.group === null ? 1 : a.group < b.group ? -1 : 1;
}
