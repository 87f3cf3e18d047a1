/**
 * `--workers N`: N gateway processes on one port with node:cluster (the primary holds the
 * listening socket; connections are spread across workers). Each worker keeps its own metrics;
 * a `/metrics` request, whichever worker takes it, is answered with every worker's metrics
 * summed by prom-client's AggregatorRegistry in the primary.
 *
 * The admin API likewise covers the whole cluster: a worker asks the primary, which asks every
 * worker about its own sessions and combines the answers (or, for one session, asks the worker
 * the store's directory names as its holder).
 *
 * A request about a call (hangup, a sideband connection) that reaches another worker than the
 * one holding the call is passed to it over loopback (see `http/forwarding.ts`).
 *
 * The primary keeps the cluster's store (see `store/cluster-store.ts`): every limit counts the
 * sessions of all workers, so `maxSessions: 2` is 2 whatever the number of workers.
 *
 * Lifecycle: the primary forks the workers, restarts one that dies unexpectedly, forwards
 * SIGTERM/SIGINT to all of them, and exits once they have drained and exited. It forwards
 * SIGHUP too: each worker reloads its configuration itself (and watches the file itself), as a
 * single process does.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { AdminRegistry } from '../admin/admin.js';
import type { RequestHandler } from '../http/server.js';
import type { SessionSnapshot } from '../session/registry.js';
import { serveStore, workerHolder } from '../store/cluster-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { SESSION_ENTRY, type Store } from '../store/store.js';
import { allocatorEnv } from './allocator-env.js';

/** How a worker learns the cluster's forwarding token (see `http/forwarding.ts`). */
// Outside the REALTIME_GATEWAY_ prefix, which is the configuration's.
const FORWARDING_TOKEN_ENV = 'GATEWAY_CLUSTER_FORWARDING_TOKEN';
const METRICS_REQUEST = 'realtime-gateway:metrics-request';
const ADMIN_REQUEST = 'realtime-gateway:admin-request';
const ADMIN_LOCAL = 'realtime-gateway:admin-local';
const ADMIN_LOCAL_RESULT = 'realtime-gateway:admin-local-result';
const ADMIN_RESPONSE = 'realtime-gateway:admin-response';
const METRICS_RESPONSE = 'realtime-gateway:metrics-response';
/** How long a worker waits for the primary's aggregated metrics, and the primary for workers' admin answers. */
const METRICS_TIMEOUT_MS = 5000;

interface MetricsRequest {
  readonly type: typeof METRICS_REQUEST;
  readonly id: number;
}
interface MetricsResponse {
  readonly type: typeof METRICS_RESPONSE;
  readonly id: number;
  readonly contentType: string;
  readonly body: string;
}

/** Whether this process is a worker of a gateway cluster. */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/**
 * In a worker: how its siblings reach it, for the requests about calls it holds that reach
 * them (a loopback listener, and the token the primary gave every worker). The token is taken
 * out of the environment, so processes the worker starts (stdio MCP servers) never see it.
 *
 * @example
 * createGateway({ config, internal: workerInternalListener() });
 */
export function workerInternalListener(): { readonly host: string; readonly token: string } {
  const token = process.env[FORWARDING_TOKEN_ENV] ?? '';
  delete process.env[FORWARDING_TOKEN_ENV];
  if (token.length < 32) throw new Error('the cluster primary gave this worker no forwarding token');
  return { host: '127.0.0.1', token };
}

/**
 * Runs the primary: forks `workers` processes running the same command line, and resolves with
 * the exit code once they are all gone after a signal.
 *
 * @example
 * if (command.workers > 1 && cluster.isPrimary) return runPrimary(command.workers);
 */
export function runPrimary(workers: number, log: (message: string) => void = () => {}): Promise<number> {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const store = new MemoryStore();
  const admin = new AdminFanOut(store);
  const token = randomBytes(32).toString('base64url');
  const fork = (): Worker => {
    const worker = cluster.fork({ ...allocatorEnv(process.env), [FORWARDING_TOKEN_ENV]: token });
    serveStore(store, worker);
    worker.on('message', (message: AdminMessage) => admin.onWorkerMessage(worker, message));
    worker.on('message', (message: MetricsRequest) => {
      if (message?.type !== METRICS_REQUEST) return;
      void aggregator.clusterMetrics().then(
        (body) =>
          worker.send({ type: METRICS_RESPONSE, id: message.id, contentType: aggregator.contentType, body }),
        (error: Error) => {
          // The scraper learns that aggregation failed; the reason goes to the log, not to it.
          log(`cluster metrics could not be aggregated: ${error.message}`);
          worker.send({
            type: METRICS_RESPONSE,
            id: message.id,
            contentType: 'text/plain',
            body: '# the cluster metrics could not be aggregated\n',
          });
        },
      );
    });
    return worker;
  };
  for (let k = 0; k < workers; k++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
      const check = () => {
        if (Object.keys(cluster.workers ?? {}).length !== 0) return;
        void store.close();
        resolve(0);
      };
      cluster.on('exit', check);
      check();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      if (stopping) return;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
    });
  });
}

/** An admin operation, as carried between the processes. */
type AdminOperation =
  | { readonly op: 'list' }
  | { readonly op: 'get'; readonly sessionId: string }
  | { readonly op: 'terminate'; readonly sessionId: string; readonly reason: string };

type AdminMessage =
  | ({ readonly type: typeof ADMIN_REQUEST; readonly id: number } & AdminOperation)
  | { readonly type: typeof ADMIN_LOCAL_RESULT; readonly id: number; readonly result: unknown };

/** In the primary: asks every worker about an admin request and combines the answers. */
class AdminFanOut {
  private next = 0;

  constructor(private readonly store: Store) {}

  private readonly pending = new Map<
    number,
    { results: unknown[]; expected: number; done: (results: unknown[]) => void }
  >();

  onWorkerMessage(from: Worker, message: AdminMessage): void {
    if (message?.type === ADMIN_LOCAL_RESULT) {
      const entry = this.pending.get(message.id);
      if (entry === undefined) return;
      entry.results.push(message.result);
      if (entry.results.length === entry.expected) {
        this.pending.delete(message.id);
        entry.done(entry.results);
      }
      return;
    }
    if (message?.type !== ADMIN_REQUEST) return;
    const { type: _type, id: requestId, ...operation } = message;
    void this.workersFor(operation).then((workers) => this.ask(from, requestId, operation, workers));
  }

  /** The workers to ask: for one session, the one the directory names, if it knows it. */
  private async workersFor(operation: AdminOperation): Promise<Worker[]> {
    const connected = Object.values(cluster.workers ?? {}).filter(
      (w): w is Worker => w?.isConnected() === true,
    );
    if (operation.op === 'list') return connected;
    const holder = await this.store.locate(SESSION_ENTRY, operation.sessionId).catch(() => null);
    const holding = connected.find((worker) => workerHolder(worker) === holder);
    return holding === undefined ? connected : [holding];
  }

  private ask(from: Worker, requestId: number, operation: AdminOperation, workers: Worker[]): void {
    const id = this.next++;
    const reply = (results: unknown[]): void => {
      from.send({ type: ADMIN_RESPONSE, id: requestId, result: combine(operation, results) });
    };
    if (workers.length === 0) {
      reply([]);
      return;
    }
    const timer = setTimeout(() => {
      const entry = this.pending.get(id);
      if (entry === undefined) return;
      this.pending.delete(id);
      entry.done(entry.results);
    }, METRICS_TIMEOUT_MS);
    this.pending.set(id, {
      results: [],
      expected: workers.length,
      done: (results) => {
        clearTimeout(timer);
        reply(results);
      },
    });
    for (const worker of workers) worker.send({ type: ADMIN_LOCAL, id, ...operation });
  }
}

/** The cluster's answer from the workers' answers. */
function combine(operation: AdminOperation, results: unknown[]): unknown {
  switch (operation.op) {
    case 'list':
      return (results as SessionSnapshot[][]).flat();
    case 'get':
      return (results as (SessionSnapshot | null)[]).find((r) => r !== null) ?? null;
    case 'terminate':
      return (results as boolean[]).some(Boolean);
  }
}

/**
 * In a worker: the admin registry of the whole cluster. It answers the primary's questions
 * about `local`, and asks the primary when the admin API is called.
 *
 * @example
 * adminHandler(clusterAdminRegistry(gateway.registry), config.admin.keyHash);
 */
export function clusterAdminRegistry(local: AdminRegistry): AdminRegistry {
  let next = 0;
  const pending = new Map<number, (result: unknown) => void>();
  process.on(
    'message',
    (message: { type?: string; id: number; result?: unknown } & Partial<AdminOperation>) => {
      if (message?.type === ADMIN_RESPONSE) {
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
      } else if (message?.type === ADMIN_LOCAL) {
        const operation = message as unknown as AdminOperation;
        void Promise.resolve(
          operation.op === 'list'
            ? local.list()
            : operation.op === 'get'
              ? local.get(operation.sessionId)
              : local.terminate(operation.sessionId, operation.reason),
        ).then((result) => process.send?.({ type: ADMIN_LOCAL_RESULT, id: message.id, result }));
      }
    },
  );
  const ask = <T>(operation: AdminOperation): Promise<T> =>
    new Promise((resolve) => {
      const id = next++;
      pending.set(id, (result) => resolve(result as T));
      process.send?.({ type: ADMIN_REQUEST, id, ...operation });
    });
  return {
    list: () => ask<SessionSnapshot[]>({ op: 'list' }),
    get: (sessionId) => ask<SessionSnapshot | null>({ op: 'get', sessionId }),
    terminate: (sessionId, reason) => ask<boolean>({ op: 'terminate', sessionId, reason }),
  };
}

/**
 * In a worker: reports `registry` to the primary's aggregator, and serves `/metrics` with the
 * whole cluster's metrics.
 */
export function clusterMetricsHandler(registry: Registry): RequestHandler {
  // prom-client installs a worker's answering side when an AggregatorRegistry is constructed.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  let next = 0;
  const pending = new Map<number, (response: MetricsResponse) => void>();
  process.on('message', (message: MetricsResponse) => {
    if (message?.type !== METRICS_RESPONSE) return;
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  return async (req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics' || req.method !== 'GET') return false;
    const id = next++;
    const response = await new Promise<MetricsResponse | null>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(null);
      }, METRICS_TIMEOUT_MS);
      pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      process.send?.({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
    if (response === null) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('# the cluster did not answer in time\n');
      return true;
    }
    res.writeHead(200, { 'content-type': response.contentType });
    res.end(response.body);
    return true;
  };
}
