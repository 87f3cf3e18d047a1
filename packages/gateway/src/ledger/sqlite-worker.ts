/**
 * The SQLite ledger's worker thread: owns the database and answers the gateway thread's
 * requests one at a time, so better-sqlite3's synchronous writes never hold the event loop the
 * sessions run on. Started by {@link SqliteLedger} (`sqlite-ledger.ts`) with its options as
 * `workerData`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type {
  GuardrailQuery,
  GuardrailTotals,
  LedgerRecord,
  Spend,
  UsageQuery,
  UsageTotals,
} from './ledger.js';
import { SqliteDatabase, type SqliteLedgerOptions } from './sqlite-database.js';

/** What the gateway thread asks, and what each answers. */
export interface SqliteRequests {
  open: { args: undefined; value: undefined };
  write: { args: readonly LedgerRecord[]; value: undefined };
  usage: { args: UsageQuery; value: UsageTotals[] };
  guardrailDecisions: { args: GuardrailQuery; value: GuardrailTotals[] };
  spendSince: { args: { keyId: string | null; since: number }; value: Spend };
  close: { args: undefined; value: undefined };
}

export type SqliteOperation = keyof SqliteRequests;

export interface SqliteRequest<Op extends SqliteOperation = SqliteOperation> {
  readonly id: number;
  readonly op: Op;
  readonly args: SqliteRequests[Op]['args'];
}

/** An error as it crosses the thread boundary (its stack stays behind). */
export interface SqliteFailure {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export type SqliteReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SqliteFailure };

let database: SqliteDatabase | null = null;

function opened(): SqliteDatabase {
  if (database === null) throw new Error('The SQLite ledger is not open.');
  return database;
}

function answer(request: SqliteRequest): unknown {
  switch (request.op) {
    case 'open':
      database ??= new SqliteDatabase(workerData as SqliteLedgerOptions);
      return undefined;
    case 'write':
      opened().write(request.args as SqliteRequests['write']['args']);
      return undefined;
    case 'usage':
      return opened().usage(request.args as UsageQuery);
    case 'guardrailDecisions':
      return opened().guardrailDecisions(request.args as GuardrailQuery);
    case 'spendSince': {
      const { keyId, since } = request.args as SqliteRequests['spendSince']['args'];
      return opened().spendSince(keyId, since);
    }
    case 'close':
      database?.close();
      database = null;
      return undefined;
  }
}

function failure(error: unknown): SqliteFailure {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

parentPort?.on('message', (request: SqliteRequest) => {
  let reply: SqliteReply;
  try {
    reply = { id: request.id, ok: true, value: answer(request) };
  } catch (error) {
    reply = { id: request.id, ok: false, error: failure(error) };
  }
  parentPort?.postMessage(reply);
});
