#!/usr/bin/env node
/**
 * `realtime-gateway`: loads the configuration, starts the gateway, reloads the configuration on
 * SIGHUP and when its file changes, and stops it gracefully on SIGTERM or SIGINT.
 */
import cluster from 'node:cluster';
import { hashKey } from './auth/credentials.js';
import { parseCli, USAGE } from './cli/args.js';
import { applyHeapGrowth } from './cli/heap-growth.js';
import { ConfigReloader } from './cli/reload.js';
import {
  clusterAdminRegistry,
  clusterMetricsHandler,
  isClusterWorker,
  runPrimary,
  workerInternalListener,
} from './cluster/cluster.js';
import { withDefaultUpstreams } from './config/defaults.js';
import { loadConfig, unrelatedEnv } from './config/load.js';
import { redactConfig } from './config/redact.js';
import type { GatewayConfig, UpstreamConfig } from './config/resolve.js';
import { openDeployment } from './deployment/open-deployment.js';
import { type EmbeddedEngine, startEmbeddedEngine } from './embedded-engine.js';
import { createGateway, type GatewayAddress } from './gateway.js';
import { createLogger, logDestination } from './observability/logger.js';
import { metricsFor } from './observability/metrics.js';
import { ClusterStore } from './store/cluster-store.js';
import { ensureDevCertificates } from './tls/dev-ca.js';

/** Runs the command line; resolves with the exit code (the server itself keeps the process alive). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const command = parseCli(argv, env);
  switch (command.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'hash-key':
      process.stdout.write(`sha256:${hashKey(command.key)}\n`);
      return 0;
    case 'error':
      process.stderr.write(`realtime-gateway: ${command.message}\nTry 'realtime-gateway --help'.\n`);
      return 2;
    case 'run':
      break;
  }
  // Before the gateway allocates anything: every worker of `--workers N` runs this too.
  applyHeapGrowth();
  // Checked before any worker starts too: a configuration the gateway refuses stops the command
  // instead of workers that exit and are replaced.
  const loaded = loadConfig({ file: command.configFile, env, overrides: command.overrides });
  if (!loaded.ok) {
    for (const error of loaded.errors) {
      process.stderr.write(
        `realtime-gateway: config error${error.field ? ` at ${error.field}` : ''}: ${error.message}\n`,
      );
    }
    return 1;
  }
  if (command.printConfig) {
    const shown = withDefaultUpstreams(loaded.config, env, null);
    process.stdout.write(`${JSON.stringify(redactConfig(shown), null, 2)}\n`);
    return 0;
  }
  if (command.workers > 1 && loaded.config.node.internal.port !== 0) {
    process.stderr.write(
      'realtime-gateway: config error at node.internal.port: with --workers each worker listens on a port of its own; leave it 0.\n',
    );
    return 1;
  }
  if (command.workers > 1 && cluster.isPrimary) {
    // Made once here, so that the workers all find (and serve) the same certificate.
    if (loaded.config.server.devTls.enabled) await ensureDevCertificates(loaded.config.dataDir);
    banner(`realtime-gateway: starting ${command.workers} workers`);
    return runPrimary(command.workers, (message) => banner(`realtime-gateway: ${message}`));
  }
  // With nothing configured, the reference engine serves every model (and OpenAI gpt-* models
  // when OPENAI_API_KEY is set).
  const log = createLogger(loaded.config.log.level, await logDestination(loaded.config.log.format));
  // In a cluster, each worker keeps its own registry and /metrics answers for all of them.
  const metrics = loaded.config.metrics.enabled ? metricsFor(loaded.config) : false;
  let engine: EmbeddedEngine | null = null;
  if (loaded.config.upstreams.length === 0) {
    // The engine shares the process: its faults are answered inside it, and logged and counted here.
    engine = await startEmbeddedEngine((error, sessionId) => {
      log.error({ engineSessionId: sessionId, err: error }, 'embedded engine fault');
      if (metrics) metrics.engineFault();
    });
  }
  const config = withDefaultUpstreams(loaded.config, env, engine?.baseUrl ?? null);
  if (config.upstreams.length === 0) {
    process.stderr.write('realtime-gateway: no upstream configured; set OPENAI_API_KEY or use --config.\n');
    return 1;
  }
  const dev = config.server.devTls.enabled ? await ensureDevCertificates(config.dataDir) : null;
  const worker = isClusterWorker();
  const metricsHandler = metrics && worker ? clusterMetricsHandler(metrics.registry) : undefined;
  // Taken out of the environment in any case, so that processes a worker starts never see it.
  const workerListener = worker ? workerInternalListener() : null;
  // With a shared store each process (each worker too) is a node of the deployment; otherwise
  // the workers of a cluster share the primary's store, so every limit holds for all of them.
  const node =
    config.store.redis === null
      ? null
      : await openDeployment(
          { ...config, store: { ...config.store, redis: config.store.redis } },
          log,
          cluster.worker?.id ?? null,
        );
  const gateway = createGateway({
    config,
    log,
    metrics,
    ...(metricsHandler ? { metricsHandler } : {}),
    ...(dev === null ? {} : { devTls: { cert: dev.cert, key: dev.key } }),
    ...(node !== null
      ? node.options
      : workerListener !== null
        ? {
            adminRegistry: clusterAdminRegistry,
            store: new ClusterStore({ timeoutMs: config.store.timeoutMs }),
            holderId: ClusterStore.holder(),
            internal: workerListener,
          }
        : {}),
  });
  let address: GatewayAddress;
  try {
    address = await gateway.listen();
  } catch (error) {
    // The embedded engine would keep the process alive.
    process.stderr.write(`realtime-gateway: ${(error as Error).message}\n`);
    await gateway.close();
    await node?.close();
    await engine?.close();
    return 1;
  }
  log.info(
    { url: address.url, ...gateway.operatorUrls, upstreams: config.upstreams.map((u) => u.name) },
    'listening',
  );
  // Banners go to stderr, in one write so that they arrive together: stdout carries the JSON
  // log lines only.
  const lines: string[] = [];
  if (engine !== null) lines.push(`embedded reference engine on 127.0.0.1:${engine.port} serves every model`);
  lines.push(
    `realtime-gateway listening on ${address.url}`,
    `  connect: ${address.realtimeUrl}?model=gpt-realtime`,
    // A browser mints a client secret, then posts its WebRTC offer to /v1/realtime/calls.
    `  browser: POST ${address.url}/v1/realtime/client_secrets, then ${address.url}/v1/realtime/calls` +
      ' (try it: npm run example:call)',
  );
  if (address.devTls !== null && dev !== null) {
    log.info({ url: address.devTls.url, caFile: dev.caFile, created: dev.created }, 'development TLS');
    lines.push(
      // The openai SDK speaks wss: only; the line after this one is what a shell needs to trust the CA.
      `  openai SDK: ${address.devTls.url}/v1 (TLS with the development CA; a Node client trusts it with the next line)`,
      `NODE_EXTRA_CA_CERTS=${dev.caFile}`,
    );
  }
  const unrelated = unrelatedEnv(env);
  if (unrelated.length > 0) {
    log.warn(
      { variables: unrelated },
      'environment variables named like configuration overrides name no configuration section; left alone',
    );
  }
  const exposed = anonymousUpstreamKeys(config);
  if (exposed.length > 0) {
    log.warn(
      { upstreams: exposed.map((u) => u.name), authMode: config.auth.mode },
      'upstream keys in use without gateway keys: anyone who reaches the gateway spends them',
    );
    lines.push(
      `realtime-gateway: WARNING: auth.mode is 'none' and ${exposed
        .map((u) => `upstream '${u.name}' uses the key in ${u.apiKeyEnv}`)
        .join(', ')}: anyone who reaches ${address.url} spends it. ` +
        'Configure gateway keys (auth.keys; realtime-gateway --hash-key KEY).',
    );
  }
  banner(lines.join('\n'));
  // Keys, limits, upstreams… without a restart (see cli/reload.ts).
  const reloader = new ConfigReloader({
    gateway,
    file: command.configFile,
    env,
    overrides: command.overrides,
    engineBaseUrl: engine?.baseUrl ?? null,
    say: (line) => process.stderr.write(`realtime-gateway: ${line}\n`),
    onReloaded: (reloaded, changed) => {
      log.level = reloaded.log.level;
      log.info({ changed }, 'configuration reloaded');
    },
  });
  reloader.start();
  const stop = (signal: string): void => {
    reloader.stop();
    const { drainMs } = gateway.config.shutdown;
    log.info({ signal, drainMs }, 'shutting down');
    void gateway
      .close({ drainMs })
      .then(() => node?.close())
      .then(() => engine?.close())
      .then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return null;
}

/** A line for the person at the terminal, on stderr. */
function banner(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Upstreams whose own key any client may spend: auth is off and they hold a key. */
function anonymousUpstreamKeys(config: GatewayConfig): readonly UpstreamConfig[] {
  if (config.auth.mode !== 'none') return [];
  return config.upstreams.filter((upstream) => upstream.apiKey !== null);
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`realtime-gateway: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
