/**
 * The embedded ledger: a SQLite database file (by default `ledger.sqlite` in the data
 * directory), so usage outlives restarts with nothing to set up.
 *
 * better-sqlite3 is synchronous, and a batch of 500 records costs about 12 ms of CPU, so the
 * database lives in a worker thread (`sqlite-worker.ts`) and this class only passes it
 * requests: the event loop pays for copying a batch across, not for writing it. A worker that
 * dies fails what it was asked, and the next request starts and opens a new one. The thread
 * keeps the process alive only while a request is waiting for its answer.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  GuardrailQuery,
  GuardrailTotals,
  Ledger,
  LedgerRecord,
  Spend,
  UsageQuery,
  UsageTotals,
} from './ledger.js';
import type { SqliteLedgerOptions } from './sqlite-database.js';
import type { SqliteFailure, SqliteOperation, SqliteReply, SqliteRequests } from './sqlite-worker.js';

export type { SqliteLedgerOptions } from './sqlite-database.js';

// Beside this file, with its extension: `.js` when built, `.ts` when run from source.
const WORKER = new URL(`./sqlite-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * A worker of a process run from source through tsx: Node 20 does not carry the parent's
 * module hooks into worker threads, so the worker registers tsx itself before loading the
 * TypeScript entry.
 */
function newWorker(workerData: unknown): Worker {
  if (!WORKER.pathname.endsWith('.ts')) return new Worker(WORKER, { workerData });
  const entry = JSON.stringify(WORKER.href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${tsx}).then(({ register }) => { register(); return import(${entry}); })`;
  return new Worker(boot, { eval: true, workerData });
}

interface Thread {
  readonly worker: Worker;
  /** Settles when the worker has opened the database (or failed to). */
  readonly ready: Promise<void>;
}

interface Waiting {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** An error from the worker thread, as an Error of this thread (`code` kept). */
function revived(failure: SqliteFailure): Error {
  const error = new Error(failure.message) as Error & { code?: string };
  error.name = failure.name;
  if (failure.code !== undefined) error.code = failure.code;
  return error;
}

/**
 * @example
 * const ledger = new SqliteLedger({ path: join(config.dataDir, 'ledger.sqlite') });
 * await ledger.open();
 * await ledger.write(records);
 * await ledger.close();
 */
export class SqliteLedger implements Ledger {
  readonly description: string;
  /** Set by `open()` and cleared by `close()`: requests in between restart a dead worker. */
  private wanted = false;
  private thread: Thread | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;

  constructor(private readonly options: SqliteLedgerOptions) {
    this.description = `sqlite ${options.path}`;
  }

  async open(): Promise<void> {
    this.wanted = true;
    await this.started();
  }

  write(records: readonly LedgerRecord[]): Promise<void> {
    return this.request('write', records);
  }

  usage(query: UsageQuery): Promise<UsageTotals[]> {
    return this.request('usage', query);
  }

  guardrailDecisions(query: GuardrailQuery): Promise<GuardrailTotals[]> {
    return this.request('guardrailDecisions', query);
  }

  spendSince(keyId: string | null, since: number): Promise<Spend> {
    return this.request('spendSince', { keyId, since });
  }

  async close(): Promise<void> {
    this.wanted = false;
    const thread = this.thread;
    if (thread === null) return;
    const opened = await thread.ready.then(
      () => true,
      () => false,
    );
    try {
      if (opened) await this.send(thread.worker, 'close', undefined);
    } finally {
      await thread.worker.terminate();
    }
  }

  private async request<Op extends SqliteOperation>(
    op: Op,
    args: SqliteRequests[Op]['args'],
  ): Promise<SqliteRequests[Op]['value']> {
    if (!this.wanted) throw new Error('The SQLite ledger is not open.');
    return this.send(await this.started(), op, args);
  }

  /** The worker, started and its database opened; a failed start is tried again next time. */
  private async started(): Promise<Worker> {
    this.thread ??= this.spawn();
    const thread = this.thread;
    try {
      await thread.ready;
    } catch (error) {
      if (this.thread === thread) this.thread = null;
      throw error;
    }
    return thread.worker;
  }

  private spawn(): Thread {
    const worker = newWorker(this.options);
    worker.unref();
    let crash: Error | null = null;
    worker.on('message', (reply: SqliteReply) => this.settle(worker, reply));
    worker.on('error', (error) => {
      crash = error;
    });
    const thread: Thread = { worker, ready: this.send(worker, 'open', undefined) };
    worker.once('exit', (code) => {
      // Only this worker is forgotten, never one started after it.
      if (this.thread === thread) this.thread = null;
      const error = crash ?? new Error(`The SQLite ledger's worker thread stopped (exit code ${code}).`);
      for (const waiting of this.waiting.values()) waiting.reject(error);
      this.waiting.clear();
    });
    return thread;
  }

  private send<Op extends SqliteOperation>(
    worker: Worker,
    op: Op,
    args: SqliteRequests[Op]['args'],
  ): Promise<SqliteRequests[Op]['value']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ id, op, args });
    });
  }

  private settle(worker: Worker, reply: SqliteReply): void {
    const waiting = this.waiting.get(reply.id);
    if (waiting === undefined) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) worker.unref();
    if (reply.ok) waiting.resolve(reply.value);
    else waiting.reject(revived(reply.error));
  }
}
