/**
 * `--workers N`: N gateway processes on one port with node:cluster (the primary holds the
 * listening socket; connections are spread across workers). Each worker keeps its own metrics;
 * a `/metrics` request, whichever worker takes it, is answered with every worker's metrics
 * summed by prom-client's AggregatorRegistry in the primary.
 *
 * Lifecycle: the primary forks the workers, restarts one that dies unexpectedly, forwards
 * SIGTERM/SIGINT to all of them, and exits once they have drained and exited.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { RequestHandler } from '../http/server.js';

const METRICS_REQUEST = 'realtime-gateway:metrics-request';
const METRICS_RESPONSE = 'realtime-gateway:metrics-response';
/** How long a worker waits for the primary's aggregated metrics. */
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
 * Runs the primary: forks `workers` processes running the same command line, and resolves with
 * the exit code once they are all gone after a signal.
 *
 * @example
 * if (command.workers > 1 && cluster.isPrimary) return runPrimary(command.workers);
 */
export function runPrimary(workers: number, log: (message: string) => void = () => {}): Promise<number> {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (message: MetricsRequest) => {
      if (message?.type !== METRICS_REQUEST) return;
      void aggregator.clusterMetrics().then(
        (body) =>
          worker.send({ type: METRICS_RESPONSE, id: message.id, contentType: aggregator.contentType, body }),
        (error: Error) =>
          worker.send({
            type: METRICS_RESPONSE,
            id: message.id,
            contentType: 'text/plain',
            body: `# ${error.message}\n`,
          }),
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
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve(0);
      };
      cluster.on('exit', check);
      check();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
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
