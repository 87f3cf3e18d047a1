/**
 * The gateway as a library: create it from a configuration, `listen()`, and `close()`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { type AdminRegistry, adminHandler } from './admin/admin.js';
import { Authenticator } from './auth/authenticator.js';
import { SessionQuota } from './auth/quota.js';
import { CallsEndpoint } from './calls/calls-endpoint.js';
import { configuredModelNames } from './config/model-names.js';
import type { GatewayConfig } from './config/resolve.js';
import { createAccess } from './http/access.js';
import { ConnectionAdmission, type ConnectionCounts } from './http/admission.js';
import { Forwarding, forwardedOnly, forwardedUpgradesOnly } from './http/forwarding.js';
import { healthHandler } from './http/health.js';
import { OriginPolicy } from './http/origins.js';
import { createHttpServer, type RequestHandler, type UpgradeHandler } from './http/server.js';
import { handleRealtimeUpgrade, type UpgradeContext } from './http/upgrade.js';
import { createMcpMiddleware } from './mcp/middleware.js';
import type { McpObserver } from './mcp/observer.js';
import { McpPool } from './mcp/pool.js';
import { Pacer } from './media/pacer.js';
import { GatewayMetrics } from './observability/metrics.js';
import { both, logCircuitChanges, logUpstreamAttempts } from './observability/upstream-log.js';
import type { Refusal } from './refusal.js';
import { restHandler } from './rest/forward.js';
import { Router } from './routing/router.js';
import { inputChecking } from './session/input-checking.js';
import type { MiddlewareFactory } from './session/middleware.js';
import { NO_LOG, NO_OBSERVER, type SessionLog, type SessionObserver } from './session/observer.js';
import { SessionRegistry } from './session/registry.js';
import { usageMetering } from './session/usage-metering.js';
import { StoreHolder } from './store/holder.js';
import { MemoryStore } from './store/memory-store.js';
import { CALLS_POOL, keyCallsPool } from './store/pools.js';
import { SESSION_ENTRY, type Store } from './store/store.js';
import type { AttemptListener } from './upstream/dial.js';
import { describeError } from './vocabulary/session.js';

/** Options for {@link createGateway}. */
export interface GatewayOptions {
  /** The effective configuration (see `loadConfig` / `resolveConfig`). */
  readonly config: GatewayConfig;
  /**
   * Middleware that acts inside every session it applies to, in order, before the gateway's
   * own (MCP tools, usage metering, input checking).
   */
  readonly middleware?: readonly MiddlewareFactory[];
  readonly observer?: SessionObserver;
  readonly log?: SessionLog;
  /** Extra HTTP routes, tried in order before the built-in ones (health, metrics, admin, REST). */
  readonly handlers?: readonly RequestHandler[];
  /** Told about every upstream connection attempt (connect latency, failures). */
  readonly onUpstreamAttempt?: AttemptListener;
  /** Told about every refused session. */
  readonly onRefused?: (refusal: Refusal) => void;
  /** Told about every MCP tool call the gateway runs. */
  readonly mcpObserver?: McpObserver;
  /**
   * The Prometheus metrics (served at `/metrics`): by default created when `metrics.enabled`;
   * pass an instance to choose its registry, or false for none.
   */
  readonly metrics?: GatewayMetrics | false;
  /** What the admin API lists and terminates; by default this gateway's own sessions. */
  readonly adminRegistry?: (local: SessionRegistry) => AdminRegistry;
  /**
   * Where deployment-wide state lives (session slots, rate-limit buckets, the directory of
   * sessions): by default a store in this process's memory, closed with the gateway. A store
   * passed in is shared with whoever else uses it, and left open.
   */
  readonly store?: Store;
  /** This process's name in the store (default: made from the process id and a random part). */
  readonly holderId?: string;
  /**
   * Makes this process reachable by the other processes of its deployment, which pass it the
   * requests about calls it holds (see `http/forwarding.ts`): an internal listener on `host` (a
   * free port, advertised in the store) that takes only requests carrying `token`.
   */
  readonly internal?: { readonly host: string; readonly token: string };
  /**
   * A second listener, on `config.server.devTls.port` and the same host, serving HTTPS and WSS
   * with this certificate and key (the command line passes the development CA's, see
   * `tls/dev-ca.ts`). Everything else is shared with the main listener: routes, sessions, limits.
   */
  readonly devTls?: { readonly cert: string; readonly key: string };
}

/** Where a listening gateway can be reached. */
export interface GatewayAddress {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  /** `ws://host:port/v1/realtime`. */
  readonly realtimeUrl: string;
  /** The development TLS listener (`https://host:port`, `wss://…/v1/realtime`), when there is one. */
  readonly devTls: {
    readonly port: number;
    readonly url: string;
    readonly realtimeUrl: string;
  } | null;
}

/** Options for {@link Gateway.close}. */
export interface CloseOptions {
  /** Let live sessions continue this long before they get an `error` event and close 1001. */
  readonly drainMs?: number;
}

/** A gateway instance with an explicit lifecycle. */
export interface Gateway {
  readonly config: GatewayConfig;
  readonly registry: SessionRegistry;
  readonly router: Router;
  /** The store and this process's name in it. */
  readonly holder: StoreHolder;
  /** The HTTP server, for embedding (for example behind node:cluster). */
  readonly server: Server;
  /** Null until {@link listen} resolves. */
  readonly address: GatewayAddress | null;
  /** Whether new sessions are accepted (false once closing). */
  readonly accepting: boolean;
  /** The metrics, or null when disabled. */
  readonly metrics: GatewayMetrics | null;
  /** Client sockets open now, in total and per address (capped by `limits.maxConnections*`). */
  readonly connections: ConnectionCounts;
  /** Starts listening; port 0 picks a free port. Defaults from `config.server`. */
  listen(port?: number, host?: string): Promise<GatewayAddress>;
  /** Stops accepting, drains and closes every session, and stops listening. Idempotent. */
  close(options?: CloseOptions): Promise<void>;
}

/** How often the registry runs the sessions' time checks: fine enough for the smallest limit. */
function tickInterval(config: GatewayConfig): number {
  const { keepaliveMs, idleTimeoutMs, maxSessionMs, sessionWarningMs } = config.limits;
  const smallest = Math.min(keepaliveMs, idleTimeoutMs, maxSessionMs, sessionWarningMs || maxSessionMs);
  return Math.max(5, Math.min(1000, Math.floor(smallest / 4)));
}

/**
 * The MCP middleware, when the configuration needs it: operator MCP servers, or an upstream that
 * emulates client-declared MCP tools (even with nothing allowed, so such tools get a clear
 * error instead of reaching an upstream that cannot run them).
 */
function mcpMiddleware(
  config: GatewayConfig,
  options: GatewayOptions,
): { middleware: MiddlewareFactory; pool: McpPool } | null {
  const emulating = config.upstreams.some((upstream) => upstream.mcpTools === 'emulate');
  if (config.mcp.servers.length === 0 && !emulating) return null;
  const pool = new McpPool(options.log ?? NO_LOG);
  const middleware = createMcpMiddleware({
    config: config.mcp,
    upstreams: config.upstreams,
    pool,
    ...(options.mcpObserver ? { observer: options.mcpObserver } : {}),
  });
  return { middleware, pool };
}

/**
 * Creates a gateway. Nothing listens until {@link Gateway.listen}.
 *
 * @example
 * const config = loadConfig({ file: 'gateway.yaml', env: process.env });
 * if (!config.ok) throw new Error(config.errors[0].message);
 * const gateway = createGateway({ config: config.config });
 * const { realtimeUrl } = await gateway.listen();
 * // … later
 * await gateway.close({ drainMs: 10_000 });
 */
export function createGateway(options: GatewayOptions): Gateway {
  const config = options.config;
  const log = options.log ?? NO_LOG;
  const store = options.store ?? new MemoryStore();
  const holder = new StoreHolder(store, {
    ttlMs: config.store.leaseTtlMs,
    ...(options.holderId ? { id: options.holderId } : {}),
    onRenewFailed: (error) => log.warn({ err: describeError(error) }, 'the store did not take a renewal'),
  });
  const registry = new SessionRegistry({
    tickMs: tickInterval(config),
    directory: holder.directory(SESSION_ENTRY, (error) =>
      log.warn({ err: describeError(error) }, 'the store did not take a directory change'),
    ),
  });
  const router = new Router(config, { holder, onCircuitChange: logCircuitChanges(log) });
  let accepting = true;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    // Client frames are untrusted input: their text is checked to be UTF-8 (the upstream leg,
    // a server the operator configured, skips that; see upstream/connect.ts).
    skipUTF8Validation: false,
    // Frames up to twice the limit are read so that input checking can answer them with an
    // `error` event; beyond that the connection is closed with 1009 before the frame is buffered.
    maxPayload: config.limits.maxFrameBytes * 2,
    clientTracking: false,
    handleProtocols: (protocols) => (protocols.has('realtime') ? 'realtime' : false),
  });
  const metrics =
    options.metrics === false || !config.metrics.enabled
      ? null
      : (options.metrics ?? new GatewayMetrics({ models: configuredModelNames(config) }));
  const mcp = mcpMiddleware(config, {
    ...options,
    ...(metrics && !options.mcpObserver ? { mcpObserver: metrics.mcp } : {}),
  });
  const onAttempt = both(options.onUpstreamAttempt ?? metrics?.upstreamAttempt, logUpstreamAttempts(log));
  const onRefused = options.onRefused ?? metrics?.refused;
  const observer = options.observer ?? metrics ?? NO_OBSERVER;
  const pacer = new Pacer(undefined, (error) =>
    log.error({ err: describeError(error) }, "pacing a call's audio failed"),
  );
  const forwarding =
    options.internal === undefined
      ? undefined
      : new Forwarding({ holder, token: options.internal.token, timeoutMs: config.limits.restTimeoutMs });
  const ctx: UpgradeContext = {
    config,
    wss,
    auth: new Authenticator(config.auth.mode, config.auth.keys, store),
    quota: new SessionQuota(holder, config.limits.maxSessions),
    origins: new OriginPolicy(config.server.allowedOrigins),
    router,
    registry,
    middleware: [
      ...(options.middleware ?? []),
      ...(mcp === null ? [] : [mcp.middleware]),
      usageMetering(observer),
      inputChecking({
        mode: config.inputChecking,
        maxFrameBytes: config.limits.maxFrameBytes,
        observer,
        log,
      }),
    ],
    observer,
    log,
    accepting: () => accepting,
    onAttempt,
    ...(onRefused ? { onRefused } : {}),
    sideband: (callId) => calls.sideband(callId),
    ...(forwarding ? { forwarding } : {}),
  };
  const calls = new CallsEndpoint({
    ...ctx,
    holder,
    callQuota: new SessionQuota(holder, config.webrtc.maxCalls, {
      total: CALLS_POOL,
      perKey: keyCallsPool,
      noun: 'calls',
    }),
    pacer,
  });
  // The caller's handlers come first, so an embedder can replace a built-in route.
  const handlers: RequestHandler[] = [
    ...(options.handlers ?? []),
    healthHandler({ accepting: () => accepting, upstreams: () => router.status() }),
    ...(metrics === null ? [] : [metrics.handler]),
    adminHandler(options.adminRegistry?.(registry) ?? registry, config.admin.keyHash),
    restHandler({
      access: createAccess(ctx.auth, router),
      maxBodyBytes: config.limits.maxRestBodyBytes,
      timeoutMs: config.limits.restTimeoutMs,
      mint: { secrets: ctx.auth.secrets, ...config.clientSecrets },
      origins: ctx.origins,
      calls,
      store,
    }),
  ];
  const admission = new ConnectionAdmission(config.limits);
  const upgrade: UpgradeHandler = (req, socket, head) => {
    // handleRealtimeUpgrade answers its own faults; this is the last resort.
    handleRealtimeUpgrade(ctx, req, socket, head).catch((error: unknown) => {
      ctx.log.error({ err: describeError(error) }, 'upgrade failed');
      socket.destroy();
    });
  };
  const server = createHttpServer(handlers, upgrade, config.server.tls, {
    headersTimeoutMs: config.limits.headersTimeoutMs,
    requestTimeoutMs: config.limits.requestTimeoutMs,
    admission,
    log: ctx.log,
    ...(onRefused ? { onRefused } : {}),
  });
  const devServer =
    options.devTls === undefined
      ? null
      : createHttpServer(handlers, upgrade, options.devTls, {
          headersTimeoutMs: config.limits.headersTimeoutMs,
          requestTimeoutMs: config.limits.requestTimeoutMs,
          admission,
          log: ctx.log,
          ...(onRefused ? { onRefused } : {}),
        });
  // Requests reach it from the deployment's other processes only, so the per-address caps of
  // the public edge (which would count them all as one client) do not apply.
  const internal =
    forwarding === undefined
      ? null
      : createHttpServer(
          [forwardedOnly(forwarding), ...handlers],
          forwardedUpgradesOnly(forwarding, upgrade),
          null,
          {
            headersTimeoutMs: config.limits.headersTimeoutMs,
            requestTimeoutMs: config.limits.requestTimeoutMs,
            log: ctx.log,
          },
        );
  let address: GatewayAddress | null = null;
  let closing: Promise<void> | null = null;

  const close = async (closeOptions: CloseOptions): Promise<void> => {
    accepting = false;
    const serverClosed = Promise.all([server, devServer, internal].map(stopListening));
    const drainMs = closeOptions.drainMs ?? 0;
    if (registry.size > 0 && drainMs > 0) {
      registry.drainAll();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        registry.whenEmpty(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, drainMs);
        }),
      ]);
      clearTimeout(timer);
    }
    registry.shutdownAll();
    // Peers get the close handshake's usual grace; whoever does not answer is cut.
    let forced: NodeJS.Timeout | undefined;
    await Promise.race([
      registry.whenEmpty(),
      new Promise<void>((resolve) => {
        forced = setTimeout(resolve, 2000);
      }),
    ]);
    clearTimeout(forced);
    registry.destroyAll();
    registry.stop();
    server.closeAllConnections();
    devServer?.closeAllConnections();
    internal?.closeAllConnections();
    await serverClosed;
    await mcp?.pool.close();
    await holder.stop().catch((error: unknown) => {
      log.warn({ err: describeError(error) }, 'the store did not take back the slots of a closing gateway');
    });
    if (options.store === undefined) await store.close();
  };

  return {
    config,
    registry,
    router,
    holder,
    server,
    get address() {
      return address;
    },
    get accepting() {
      return accepting;
    },
    metrics,
    connections: admission,
    async listen(port = config.server.port, host = config.server.host) {
      const info = await listenOn(server, port, host);
      const secure = config.server.tls !== null;
      const dev = devServer === null ? null : await listenDevTls(devServer, server, config, host);
      address = {
        host: info.address,
        port: info.port,
        url: `${secure ? 'https' : 'http'}://${shownHost(info)}:${info.port}`,
        realtimeUrl: `${secure ? 'wss' : 'ws'}://${shownHost(info)}:${info.port}/v1/realtime`,
        devTls:
          dev === null
            ? null
            : {
                port: dev.port,
                url: `https://${shownHost(dev)}:${dev.port}`,
                realtimeUrl: `wss://${shownHost(dev)}:${dev.port}/v1/realtime`,
              },
      };
      if (internal !== null) await listenInternally(internal, options.internal!.host, holder);
      return address;
    },
    close(closeOptions = {}) {
      closing ??= close(closeOptions);
      return closing;
    },
  };
}

function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Starts the development TLS listener; when it cannot, stops the main one too and says which setting to change. */
async function listenDevTls(
  devServer: Server,
  server: Server,
  config: GatewayConfig,
  host: string,
): Promise<AddressInfo> {
  const port = config.server.devTls.port;
  try {
    return await listenOn(devServer, port, host);
  } catch (error) {
    await stopListening(server);
    const cause = error as NodeJS.ErrnoException;
    throw Object.assign(
      new Error(
        `The development TLS listener cannot listen on ${host}:${port} (${cause.code ?? cause.message}); ` +
          'choose another server.devTls.port, or set server.devTls.enabled: false.',
        { cause },
      ),
      { code: cause.code },
    );
  }
}

function shownHost(info: AddressInfo): string {
  return info.family === 'IPv6' ? `[${info.address}]` : info.address;
}

function stopListening(server: Server | null): Promise<void> {
  return new Promise((resolve) => {
    if (server === null || !server.listening) return resolve();
    server.close(() => resolve());
  });
}

/**
 * Starts the internal listener on a port of its own (`exclusive`: under node:cluster a worker
 * would otherwise share the primary's port with its siblings) and advertises it.
 */
async function listenInternally(server: Server, host: string, holder: StoreHolder): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, family, address } = server.address() as AddressInfo;
  await holder.advertise(`http://${family === 'IPv6' ? `[${address}]` : address}:${port}`);
}
