/**
 * The store of a `--workers N` cluster: the primary keeps one {@link MemoryStore} and answers
 * every worker's operations on it over the cluster's IPC channel, so the workers share their
 * slots, buckets and directory. When a worker exits, the primary drops what it held at once
 * (its slots would otherwise lapse after their time to live).
 */
import cluster, { type Worker } from 'node:cluster';
import { STORE_OPERATIONS, type Store, StoreError, type StoreOperation } from './store.js';

const REQUEST = 'realtime-gateway:store-request';
const RESPONSE = 'realtime-gateway:store-response';
const OPERATIONS: ReadonlySet<string> = new Set(STORE_OPERATIONS);

interface StoreRequest {
  readonly type: typeof REQUEST;
  readonly id: number;
  readonly op: StoreOperation;
  readonly args: readonly unknown[];
}

type StoreResponse =
  | { readonly type: typeof RESPONSE; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: typeof RESPONSE; readonly id: number; readonly ok: false; readonly message: string };

/** The holder name of a cluster worker; the primary uses it to drop a dead worker's slots. */
export function workerHolder(worker: Pick<Worker, 'id'>): string {
  return `worker-${worker.id}`;
}

/**
 * In the primary: answers `worker`'s store operations from `store`, and drops its holdings when
 * it exits.
 *
 * @example
 * const store = new MemoryStore();
 * const worker = cluster.fork();
 * serveStore(store, worker);
 */
export function serveStore(store: Store, worker: Worker): void {
  worker.on('message', (message: StoreRequest) => {
    if (message?.type !== REQUEST) return;
    const reply = (response: StoreResponse): void => {
      if (worker.isConnected()) worker.send(response);
    };
    if (!OPERATIONS.has(message.op) || !Array.isArray(message.args)) {
      reply({ type: RESPONSE, id: message.id, ok: false, message: `Unknown store operation.` });
      return;
    }
    const run = store[message.op] as (...args: unknown[]) => Promise<unknown>;
    // A throwing operation becomes a rejected promise, answered like any other failure.
    Promise.resolve()
      .then(() => run.apply(store, [...message.args]))
      .then(
        (value) => reply({ type: RESPONSE, id: message.id, ok: true, value }),
        (error: unknown) =>
          reply({
            type: RESPONSE,
            id: message.id,
            ok: false,
            message: (error as Error)?.message ?? 'failed',
          }),
      );
  });
  worker.once('exit', () => {
    void store.dropHolder(workerHolder(worker)).catch(() => {});
  });
}

/** Options for {@link ClusterStore}. */
export interface ClusterStoreOptions {
  /** How long an operation may take before it fails with a {@link StoreError}. */
  readonly timeoutMs: number;
}

/**
 * In a worker: the cluster's store, asked of the primary.
 *
 * @example
 * const store = isClusterWorker() ? new ClusterStore({ timeoutMs: 2000 }) : new MemoryStore();
 */
export class ClusterStore implements Store {
  private next = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private closed = false;

  constructor(private readonly options: ClusterStoreOptions) {
    if (!cluster.isWorker || process.send === undefined)
      throw new StoreError('A ClusterStore works in a cluster worker only.');
    process.on('message', this.onMessage);
  }

  /** This worker's holder name. */
  static holder(): string {
    return workerHolder(cluster.worker!);
  }

  readonly add = this.operation('add');
  readonly read = this.operation('read');
  readonly put = this.operation('put');
  readonly get = this.operation('get');
  readonly pop = this.operation('pop');
  readonly acquire = this.operation('acquire');
  readonly release = this.operation('release');
  readonly count = this.operation('count');
  readonly take = this.operation('take');
  readonly claim = this.operation('claim');
  readonly locate = this.operation('locate');
  readonly forget = this.operation('forget');
  readonly list = this.operation('list');
  readonly renew = this.operation('renew');
  readonly dropHolder = this.operation('dropHolder');

  async close(): Promise<void> {
    this.closed = true;
    process.off('message', this.onMessage);
    for (const waiter of this.pending.values()) waiter.reject(new StoreError('The store is closed.'));
    this.pending.clear();
  }

  /** One operation of the {@link Store} interface, asked of the primary. */
  private operation<K extends StoreOperation>(op: K): Store[K] {
    return ((...args: unknown[]) => this.ask(op, args)) as Store[K];
  }

  private ask<T>(op: StoreOperation, args: readonly unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('The store is closed.'));
    return new Promise<T>((resolve, reject) => {
      const id = this.next++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new StoreError(`The cluster's store did not answer '${op}' within ${this.options.timeoutMs} ms.`),
        );
      }, this.options.timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      process.send!({ type: REQUEST, id, op, args } satisfies StoreRequest, undefined, undefined, (error) => {
        if (error === null) return;
        this.pending
          .get(id)
          ?.reject(new StoreError(`The cluster's primary is unreachable: ${error.message}`));
        this.pending.delete(id);
      });
    });
  }

  private readonly onMessage = (message: StoreResponse): void => {
    if (message?.type !== RESPONSE) return;
    const waiter = this.pending.get(message.id);
    if (waiter === undefined) return;
    this.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new StoreError(message.message));
  };
}
