/**
 * The gateway as a library: create it from a configuration, `listen()`, `reload()` a new
 * configuration while it runs, and `close()`.
 *
 * Everything made from the configuration (the authenticator and its keys, limits and quotas,
 * the router, origins, the middleware list, the REST and admin handlers) belongs to one
 * {@link Generation}; a reload builds the next one whole and swaps it in with one assignment.
 * Each request is answered with the generation it found, and a session keeps for its whole
 * life the settings it was admitted with (its limits, middleware, MCP servers, upstream).
 */

import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { type AddressInfo, isIP } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { consoleDir } from '@realtime-gateway/console';
import { WebSocketServer } from 'ws';
import { type AdminRegistry, adminHandler } from './admin/admin.js';
import { GUARDRAILS_ENDPOINT } from './admin/guardrails.js';
import { ledgerHandler } from './admin/ledger-endpoint.js';
import { USAGE_ENDPOINT } from './admin/usage.js';
import { Authenticator } from './auth/authenticator.js';
import { SessionQuota } from './auth/quota.js';
import { type CallsContext, CallsEndpoint } from './calls/calls-endpoint.js';
import { configChanges, restartOnlyChanges } from './config/changes.js';
import { configuredModelNames } from './config/model-names.js';
import type { ConfigError, GatewayConfig } from './config/resolve.js';
import { WebConsole } from './console/web-console.js';
import { createResumeTokens, deploymentResumeSecret } from './continuity/resume-token.js';
import { DeploymentAdmin } from './deployment/deployment-admin.js';
import { SharedCircuits } from './deployment/shared-circuits.js';
import { BudgetBook } from './governance/budget-book.js';
import { BudgetEnforcer } from './governance/budget-enforcer.js';
import { allOf } from './guardrails/decisions.js';
import { guardrailMiddleware } from './guardrails/middleware.js';
import { createAccess } from './http/access.js';
import { ConnectionAdmission, type ConnectionCounts } from './http/admission.js';
import { Forwarding, forwardedOnly, forwardedUpgradesOnly } from './http/forwarding.js';
import { healthHandler } from './http/health.js';
import { listenOn, urlOf } from './http/listen.js';
import {
  type OperatorSurface,
  operatorListeners,
  startOperatorListener,
  withMetricsKey,
} from './http/operator-listeners.js';
import { OriginPolicy } from './http/origins.js';
import { REQUEST_ID_HEADER, type RequestContexts, TrustedProxies } from './http/request-context.js';
import { resumeTokenHeaderOf } from './http/resume-request.js';
import { createHttpServer, type RequestHandler, type UpgradeHandler } from './http/server.js';
import { handleRealtimeUpgrade, type UpgradeContext } from './http/upgrade.js';
import { guardrailRecords } from './ledger/guardrail-records.js';
import { ledgerMetering } from './ledger/metering.js';
import { openLedger } from './ledger/open.js';
import { withSessionRecords } from './ledger/session-records.js';
import type { LedgerWriter } from './ledger/writer.js';
import { createMcpMiddleware } from './mcp/middleware.js';
import type { McpObserver } from './mcp/observer.js';
import { McpPool } from './mcp/pool.js';
import { Pacer } from './media/pacer.js';
import { type GatewayMetrics, metricsFor } from './observability/metrics.js';
import { responseTracing } from './observability/response-tracing.js';
import { NO_TRACING, startTracing, type Tracing } from './observability/tracing.js';
import { both, logCircuitChanges, logUpstreamAttempts } from './observability/upstream-log.js';
import { priceTable } from './pricing/prices.js';
import { recordingAdminHandler, recordingPeers } from './recording/admin.js';
import { recordingMiddleware } from './recording/middleware.js';
import { Recordings } from './recording/recordings.js';
import type { Refusal } from './refusal.js';
import { restHandler } from './rest/forward.js';
import { Router } from './routing/router.js';
import { inputChecking, TRANSLATION_INPUT } from './session/input-checking.js';
import type { MiddlewareFactory } from './session/middleware.js';
import { NO_LOG, NO_OBSERVER, type SessionLog, type SessionObserver } from './session/observer.js';
import { SessionRegistry } from './session/registry.js';
import { usageMetering } from './session/usage-metering.js';
import type { Bus } from './store/bus.js';
import { StoreHolder } from './store/holder.js';
import { MemoryStore } from './store/memory-store.js';
import { CALLS_POOL, keyCallsPool } from './store/pools.js';
import { SESSION_ENTRY, type Store } from './store/store.js';
import { translationMetering } from './translation/metering.js';
import type { AttemptListener } from './upstream/dial.js';
import { GATEWAY_VERSION } from './version.js';
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
  /**
   * Answers `/metrics` instead of this process's own registry (a cluster worker's, which sums
   * every worker's), wherever `/metrics` is served.
   */
  readonly metricsHandler?: RequestHandler;
  /** This process's name in the store (default: made from the process id and a random part). */
  readonly holderId?: string;
  /**
   * Makes this process reachable by the other processes of its deployment, which pass it the
   * requests about calls it holds (see `http/forwarding.ts`): an internal listener on `host` (a
   * free port, advertised in the store) that takes only requests carrying `token`.
   */
  readonly internal?: {
    readonly host: string;
    readonly token: string;
    /** Default 0: a free port. */
    readonly port?: number;
    /** The host the others are told to use, when not `host`. */
    readonly advertiseHost?: string | null;
  };
  /**
   * This process as one node of a deployment that shares its store (`store.redis`): the bus it
   * tells the other nodes things on, and whether the store answers now (for readiness). With
   * it, the admin API covers every node's sessions, a circuit opened here is told to the others,
   * and the process enters itself in the store's directory of live nodes.
   */
  readonly deployment?: {
    readonly bus: Bus;
    storeAvailable(): boolean;
  };
  /**
   * A second listener, on `config.server.devTls.port` and the same host, serving HTTPS and WSS
   * with this certificate and key (the command line passes the development CA's, see
   * `tls/dev-ca.ts`). Everything else is shared with the main listener: routes, sessions, limits.
   */
  readonly devTls?: { readonly cert: string; readonly key: string };
  /**
   * The usage ledger: by default the one `config.ledger` names (opened here, closed with the
   * gateway), or none when it is disabled; pass a writer to share one (left open), or false.
   */
  readonly ledger?: LedgerWriter | false;
  /** The built console's directory (default: the `@realtime-gateway/console` package's build). */
  readonly consoleDir?: string;
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

/**
 * What {@link Gateway.reload} did: the fields it changed (by path, without values), or why it
 * changed nothing.
 */
export type ReloadResult =
  | { readonly ok: true; readonly changed: readonly string[] }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

/** A gateway instance with an explicit lifecycle. */
export interface Gateway {
  /** The configuration new sessions and requests get (the latest one reloaded). */
  readonly config: GatewayConfig;
  readonly registry: SessionRegistry;
  /** The router of the current configuration. */
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
  /**
   * The usage ledger's writer, or null when disabled: what a key spent since a time
   * (`spendSince`, read back from the ledger, so a restart does not reset it) and each usage
   * record as it is metered (`onRecord`).
   */
  readonly ledger: LedgerWriter | null;
  /** Session recordings (`recording`), or null when no session is recorded. */
  readonly recordings: Recordings | null;
  /** Client sockets open now, in total and per address (capped by `limits.maxConnections*`). */
  readonly connections: ConnectionCounts;
  /**
   * Where the admin API and `/metrics` are served once listening: their own listeners
   * (`admin.listen`, `metrics.listen`) or the client port; `metrics` is null when disabled.
   */
  readonly operatorUrls: { readonly admin: string | null; readonly metrics: string | null };
  /** Starts listening; port 0 picks a free port. Defaults from `config.server`. */
  listen(port?: number, host?: string): Promise<GatewayAddress>;
  /**
   * Makes `config` (checked as at start-up: see `loadConfig`) the configuration of every new
   * session and request, at once and as a whole: keys and auth mode, limits, upstreams, aliases
   * and routing, origins, the admin key, input checking, MCP servers, client secret lifetimes
   * and WebRTC settings. Live sessions keep the settings they were admitted with. Upstreams
   * that remain keep their session counts and circuits. A configuration that changes what only
   * a restart can (`server.host`, `server.port`, TLS turned on or off, `store.*`,
   * `metrics.enabled`, `ledger.*`; prices are taken) is refused whole, its fields named, and the running one kept. A new TLS
   * certificate and key (read again from their files) serve new connections.
   */
  reload(config: GatewayConfig): ReloadResult;
  /** Stops accepting, drains and closes every session, and stops listening. Idempotent. */
  close(options?: CloseOptions): Promise<void>;
}

/** Everything made from one configuration; replaced whole by a reload. */
interface Generation {
  readonly config: GatewayConfig;
  readonly router: Router;
  readonly upgrade: UpgradeContext;
  readonly calls: CallsContext;
  readonly admin: RequestHandler;
  /** `/metrics` behind the generation's key, or null when metrics are off. */
  readonly metrics: RequestHandler | null;
  readonly rest: RequestHandler;
}

/** How often the registry runs the sessions' time checks: fine enough for the smallest limit. */
function tickInterval(config: GatewayConfig): number {
  const { keepaliveMs, idleTimeoutMs, maxSessionMs, sessionWarningMs } = config.limits;
  const grace = config.continuity.clientGraceMs || maxSessionMs;
  const smallest = Math.min(
    keepaliveMs,
    idleTimeoutMs,
    maxSessionMs,
    sessionWarningMs || maxSessionMs,
    grace,
  );
  return Math.max(5, Math.min(1000, Math.floor(smallest / 4)));
}

/**
 * The MCP middleware, when the configuration needs it: operator MCP servers, or an upstream that
 * emulates client-declared MCP tools (even with nothing allowed, so such tools get a clear
 * error instead of reaching an upstream that cannot run them).
 */
function mcpMiddleware(
  config: GatewayConfig,
  pool: () => McpPool,
  observer: McpObserver | undefined,
): MiddlewareFactory | null {
  const emulating = config.upstreams.some((upstream) => upstream.mcpTools === 'emulate');
  if (config.mcp.servers.length === 0 && !emulating) return null;
  return createMcpMiddleware({
    config: config.mcp,
    upstreams: config.upstreams,
    pool: pool(),
    ...(observer ? { observer } : {}),
  });
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
  const first = options.config;
  const log = options.log ?? NO_LOG;
  const store = options.store ?? new MemoryStore();
  /** Started by `listen()`, which may load the OpenTelemetry SDK. */
  let tracing: Tracing = NO_TRACING;
  const holder = new StoreHolder(store, {
    ttlMs: first.store.leaseTtlMs,
    ...(options.holderId ? { id: options.holderId } : {}),
    onRenewFailed: (error) => log.warn({ err: describeError(error) }, 'the store did not take a renewal'),
  });
  const registry = new SessionRegistry({
    tickMs: tickInterval(first),
    directory: holder.directory(SESSION_ENTRY, (error) =>
      log.warn({ err: describeError(error) }, 'the store did not take a directory change'),
    ),
  });
  let accepting = true;
  const metrics =
    options.metrics === false || !first.metrics.enabled ? null : (options.metrics ?? metricsFor(first));
  const mcpObserver = options.mcpObserver ?? metrics?.mcp;
  // One pool for the gateway's life: a reload keeps the connections of unchanged MCP servers.
  let mcpPool: McpPool | null = null;
  const pool = (): McpPool => (mcpPool ??= new McpPool(log));
  const attempted = both(options.onUpstreamAttempt ?? metrics?.upstreamAttempt, logUpstreamAttempts(log));
  const onRefused = options.onRefused ?? metrics?.refused;
  const ledger =
    options.ledger === false ? null : (options.ledger ?? openLedger(first.ledger, log, metrics?.ledger));
  if (ledger !== null && metrics !== null) ledger.onRecord(metrics.ledger.metered);
  // Made once, like the ledger: a recording outlives a reload, and `recording` needs a restart.
  const recordings =
    first.recording === null
      ? null
      : new Recordings(first.recording, { log, ...(metrics ? { observer: metrics.recordings } : {}) });
  recordings?.startSweeping();
  const recording = recordings === null ? [] : [recordingMiddleware(recordings)];
  const observed = options.observer ?? metrics ?? NO_OBSERVER;
  const recorded =
    ledger === null ? observed : withSessionRecords(observed, (record) => ledger.record(record));
  const pacer = new Pacer(undefined, (error) =>
    log.error({ err: describeError(error) }, "pacing a call's audio failed"),
  );
  // Whichever generation is current says how a request's client address is read.
  const currentProxies: RequestContexts = { contextOf: (req) => current.upgrade.proxies.contextOf(req) };
  const forwarding =
    options.internal === undefined
      ? undefined
      : new Forwarding({
          holder,
          token: options.internal.token,
          get timeoutMs() {
            return current.config.limits.restTimeoutMs;
          },
          contexts: currentProxies,
        });
  // Spend is counted in the store, so every process of the deployment sees the same.
  // Spend is seeded from the ledger (a restart resets nothing) and counted from its records.
  const budgets = new BudgetEnforcer({
    book: new BudgetBook(store, ledger),
    budgetOf: (keyId) => current.config.auth.keys.find((key) => key.id === keyId)?.budget ?? null,
    sessions: registry,
    log,
  });
  if (ledger === null && first.auth.keys.some((key) => key.budget !== null))
    log.warn({}, 'keys have budgets but the gateway has no usage ledger: nothing counts against them');
  ledger?.onRecord((record) =>
    budgets.charged({
      sessionId: record.sessionId,
      keyId: record.keyId,
      usd: record.costUsd,
      tokens: record.tokens.totalTokens,
    }),
  );
  const deployment = options.deployment;
  const onBusError = (error: unknown): void =>
    log.warn({ err: describeError(error) }, 'a message between the nodes was lost');
  const deploymentAdmin =
    deployment === undefined
      ? null
      : new DeploymentAdmin({
          bus: deployment.bus,
          holder,
          node: first.node.id,
          local: registry,
          recordings,
          timeoutMs: first.store.timeoutMs,
          onError: onBusError,
          // Asked by another node's console; `web` is made below, before any question can come.
          upstreams: (): readonly unknown[] => web?.localUpstreams() ?? [],
        });
  const peersForRecordings =
    deploymentAdmin === null || forwarding === undefined ? null : recordingPeers(deploymentAdmin, forwarding);
  // Made once: in a cluster it answers the primary's questions for as long as the process runs.
  const adminRegistry = deploymentAdmin ?? options.adminRegistry?.(registry) ?? registry;
  // Made once, like the ledger: its sign-ins and streams outlive a reload.
  const web: WebConsole | null = first.console.enabled
    ? new WebConsole({
        config: first.console,
        dir: options.consoleDir ?? consoleDir,
        registry: adminRegistry,
        store,
        ledger,
        recordings,
        upstreams: () => current.router.status(),
        ...(deploymentAdmin === null ? {} : { nodeUpstreams: () => deploymentAdmin.upstreams() }),
        budgets: () =>
          current.config.auth.keys.flatMap((key) =>
            key.budget === null ? [] : [{ key: key.id, budget: key.budget }],
          ),
        log,
        clientAddress: (req) => currentProxies.contextOf(req).clientIp,
      })
    : null;
  const onAttempt = web === null ? attempted : both(attempted, web.upstreamStats.listener);
  // The console's taps hear of the frames no middleware handles (audio) from the observer.
  const observer = web === null ? recorded : web.taps.observing(recorded);
  if (web !== null)
    ledger?.onRecord((record) =>
      web.taps.charge(record.sessionId, record.tokens.totalTokens, record.costUsd),
    );
  const sharedCircuits =
    deployment === undefined
      ? null
      : new SharedCircuits({
          bus: deployment.bus,
          self: holder.id,
          router: () => current.router,
          onError: onBusError,
        });
  const onCircuitChange = both(sharedCircuits?.onCircuitChange, logCircuitChanges(log));
  if (deployment !== undefined) metrics?.watchStore(deployment.storeAvailable);
  const calls = new CallsEndpoint(() => current.calls);
  // One signing secret for the process's life: a reload keeps every session's resume token good.
  // Processes of one deployment share it, so a resume reaching any of them can be passed on.
  const resumeTokens = createResumeTokens(
    options.internal === undefined ? {} : { secret: deploymentResumeSecret(options.internal.token) },
  );

  const build = (config: GatewayConfig, previous: Generation | null): Generation => {
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
    const proxies = new TrustedProxies(config.server.trustedProxies);
    // The request id goes back with the handshake, as it does on every REST answer.
    wss.on('headers', (headers, req) => {
      headers.push(`${REQUEST_ID_HEADER}: ${proxies.contextOf(req).requestId}`);
      const resume = resumeTokenHeaderOf(req);
      if (resume !== null) headers.push(resume);
    });
    const auth = new Authenticator(config.auth.mode, config.auth.keys, store);
    const origins = new OriginPolicy(config.server.allowedOrigins);
    // Last, as they act on what outlives a generation: upstream health and MCP connections.
    const router = new Router(config, {
      holder,
      onCircuitChange,
      ...(previous === null ? {} : { previous: previous.router }),
    });
    const mcp = mcpMiddleware(config, pool, mcpObserver);
    const guardrails = guardrailMiddleware({
      guardrails: config.guardrails,
      sessions: registry,
      log,
      observer: allOf([
        ...(metrics ? [metrics.guardrails] : []),
        ...(ledger === null ? [] : [guardrailRecords((record) => ledger.record(record))]),
        ...(recordings === null ? [] : [recordings]),
      ]),
    });
    const prices = priceTable(config.prices);
    metrics?.knowModels(prices.keys());
    // First, so it meters what the upstream reported before any middleware answers or hides it.
    const metering = ledger === null ? [] : [ledgerMetering({ record: (r) => ledger.record(r), prices })];
    const checking = {
      mode: config.inputChecking,
      maxFrameBytes: config.limits.maxFrameBytes,
      observer,
      log,
    } as const;
    const upgrade: UpgradeContext = {
      config,
      wss,
      auth,
      quota: new SessionQuota(holder, config.limits.maxSessions),
      origins,
      proxies,
      router,
      registry,
      middleware: [
        ...metering,
        ...(options.middleware ?? []),
        ...(mcp === null ? [] : [mcp]),
        // After the MCP tools, whose own events it need not see; before what counts and checks
        // what the client and upstream are sent, so that sees what guardrails let through.
        ...(guardrails === null ? [] : [guardrails]),
        // Only with traces exported: otherwise no session pays for watching its responses.
        ...(config.telemetry.otlp === null ? [] : [responseTracing()]),
        usageMetering(observer),
        inputChecking(checking),
        // Last, so it records what each side was actually sent: after guardrails and checks.
        ...recording,
        // Likewise what the console shows; only where there is a console to show it.
        ...(web === null || config.admin.keyHash === null ? [] : [web.taps.middleware()]),
      ],
      // Translation sessions speak other events: none of the list above but the ledger's
      // metering (by duration) and input checking (with the translation parser) applies, and
      // an embedder's middleware, written for GA events, is not given them.
      translationMiddleware: [
        ...(ledger === null ? [] : [translationMetering({ record: (r) => ledger.record(r), prices })]),
        inputChecking({ ...checking, protocol: TRANSLATION_INPUT }),
      ],
      observer,
      log,
      accepting: () => accepting,
      onAttempt,
      ...(metrics ? { onStoreWait: metrics.admissionStoreWait } : {}),
      get tracing() {
        return tracing;
      },
      budgets,
      resumeTokens,
      ...(onRefused ? { onRefused } : {}),
      sideband: (callId) => calls.sideband(callId),
      ...(forwarding ? { forwarding } : {}),
    };
    return {
      config,
      router,
      upgrade,
      calls: {
        ...upgrade,
        holder,
        callQuota: new SessionQuota(holder, config.webrtc.maxCalls, {
          total: CALLS_POOL,
          perKey: keyCallsPool,
          noun: 'calls',
        }),
        pacer,
      },
      admin: firstOf(
        ...(web === null ? [] : [web.handler(config.admin.keyHash)]),
        ledgerHandler(USAGE_ENDPOINT, ledger, config.admin.keyHash, log),
        ledgerHandler(GUARDRAILS_ENDPOINT, ledger, config.admin.keyHash, log),
        recordingAdminHandler(recordings, config.admin.keyHash, peersForRecordings),
        adminHandler(adminRegistry, config.admin.keyHash),
      ),
      metrics:
        metrics === null
          ? null
          : withMetricsKey(options.metricsHandler ?? metrics.handler, config.metrics.keyHash),
      rest: restHandler({
        access: createAccess(auth, router),
        maxBodyBytes: config.limits.maxRestBodyBytes,
        timeoutMs: config.limits.restTimeoutMs,
        mint: { secrets: auth.secrets, ...config.clientSecrets },
        origins,
        calls,
        store,
      }),
    };
  };
  let current = build(first, null);

  const health = healthHandler({
    accepting: () => accepting,
    upstreams: () => current.router.status(),
    ...(deployment === undefined
      ? {}
      : {
          node: first.node.id,
          store: () => ({ available: deployment.storeAvailable(), onUnavailable: first.store.onUnavailable }),
        }),
  });
  // Where each is served is fixed at start (admin.listen and metrics.listen need a restart);
  // what answers is the current generation's.
  const surfaces: OperatorSurface[] = [
    ...(metrics === null
      ? []
      : [
          {
            name: 'metrics' as const,
            handler: ((req, res) => current.metrics?.(req, res) ?? false) satisfies RequestHandler,
            listen: first.metrics.listen,
          },
        ]),
    { name: 'admin', handler: (req, res) => current.admin(req, res), listen: first.admin.listen },
  ];
  // The caller's handlers come first, so an embedder can replace a built-in route.
  const handlers: RequestHandler[] = [
    ...(options.handlers ?? []),
    health,
    ...surfaces.filter((surface) => surface.listen === null).map((surface) => surface.handler),
    (req, res) => current.rest(req, res),
  ];
  const admission = new ConnectionAdmission({
    get maxConnections() {
      return current.config.limits.maxConnections;
    },
    get maxConnectionsPerAddress() {
      return current.config.limits.maxConnectionsPerAddress;
    },
  });
  const upgrade: UpgradeHandler = (req, socket, head) => {
    const ctx = current.upgrade;
    // handleRealtimeUpgrade answers its own faults; this is the last resort.
    handleRealtimeUpgrade(ctx, req, socket, head).catch((error: unknown) => {
      ctx.log.error({ err: describeError(error) }, 'upgrade failed');
      socket.destroy();
    });
  };
  // The client port and the development TLS port are one edge: same routes, caps and timeouts.
  const edge = {
    headersTimeoutMs: first.limits.headersTimeoutMs,
    requestTimeoutMs: first.limits.requestTimeoutMs,
    admission,
    proxies: currentProxies,
    log,
    ...(onRefused ? { onRefused } : {}),
  };
  const server = createHttpServer(handlers, upgrade, first.server.tls, edge);
  const devServer =
    options.devTls === undefined ? null : createHttpServer(handlers, upgrade, options.devTls, edge);
  // Requests reach it from the deployment's other processes only, so the per-address caps of
  // the public edge (which would count them all as one client) do not apply.
  const internal =
    forwarding === undefined
      ? null
      : createHttpServer(
          // The admin API too, when it listens apart: a recording is asked of the node that has it.
          [
            forwardedOnly(forwarding),
            ...handlers,
            ...surfaces.filter((s) => s.name === 'admin' && s.listen !== null).map((s) => s.handler),
          ],
          forwardedUpgradesOnly(forwarding, upgrade),
          null,
          {
            headersTimeoutMs: first.limits.headersTimeoutMs,
            requestTimeoutMs: first.limits.requestTimeoutMs,
            log,
          },
        );
  const operators = operatorListeners(surfaces, health, {
    proxies: currentProxies,
    headersTimeoutMs: first.limits.headersTimeoutMs,
    requestTimeoutMs: first.limits.requestTimeoutMs,
    log,
  });
  let address: GatewayAddress | null = null;
  let closing: Promise<void> | null = null;

  const close = async (closeOptions: CloseOptions): Promise<void> => {
    accepting = false;
    // Its pages' streams would otherwise hold their connections open until the last session ends.
    web?.close();
    const serverClosed = Promise.all(
      [server, devServer, internal, ...operators.map((o) => o.server)].map(stopListening),
    );
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
    for (const operator of operators) operator.server.closeAllConnections();
    await serverClosed;
    // Every session's trace has ended by now: what is buffered goes out before the process does.
    await tracing.close().catch((error: unknown) => {
      log.warn({ err: describeError(error) }, 'traces could not be exported at close');
    });
    await mcpPool?.close();
    // After the sessions: their last usage and their session records are in the queue.
    // After the sessions, whose ends started finishing their recordings.
    await recordings?.close();
    if (options.ledger === undefined) await ledger?.close();
    await holder.stop().catch((error: unknown) => {
      log.warn({ err: describeError(error) }, 'the store did not take back the slots of a closing gateway');
    });
    if (options.store === undefined) await store.close();
  };

  const reload = (config: GatewayConfig): ReloadResult => {
    if (closing !== null)
      return { ok: false, errors: [{ field: '', message: 'The gateway is shutting down.' }] };
    const running = current.config;
    const refused = restartOnlyChanges(running, config);
    if (refused.length > 0) return { ok: false, errors: refused };
    const changed = configChanges(running, config);
    if (changed.length === 0) return { ok: true, changed };
    const tls = config.server.tls;
    // New connections get the new certificate; open ones keep theirs. Taken first: a pair that
    // does not make a TLS context refuses the whole reload.
    if (tls !== null && !isDeepStrictEqual(tls, running.server.tls)) {
      try {
        (server as HttpsServer).setSecureContext({ cert: tls.cert, key: tls.key });
      } catch (error) {
        const message = `The certificate and key do not make a TLS context: ${(error as Error).message}`;
        return { ok: false, errors: [{ field: 'server.tls', message }] };
      }
    }
    current = build(config, current);
    registry.setTickMs(tickInterval(config));
    for (const listener of [server, devServer, internal]) {
      if (listener === null) continue;
      listener.headersTimeout = config.limits.headersTimeoutMs;
      listener.requestTimeout = config.limits.requestTimeoutMs;
    }
    metrics?.knowModels(configuredModelNames(config));
    return { ok: true, changed };
  };

  return {
    get config() {
      return current.config;
    },
    registry,
    get router() {
      return current.router;
    },
    holder,
    server,
    get address() {
      return address;
    },
    get accepting() {
      return accepting;
    },
    metrics,
    ledger,
    recordings,
    connections: admission,
    get operatorUrls() {
      const served = (name: OperatorSurface['name']) =>
        operators.find((operator) => operator.serves.includes(name))?.url ?? address?.url ?? null;
      return { admin: served('admin'), metrics: metrics === null ? null : served('metrics') };
    },
    async listen(port = first.server.port, host = first.server.host) {
      tracing = await startTracing(
        first.telemetry,
        { instanceId: holder.id, version: GATEWAY_VERSION },
        (failure) => log.warn(failure, 'traces could not be exported'),
      );
      const info = await listenOn(server, { port, host });
      const url = urlOf(info, first.server.tls !== null);
      const dev = devServer === null ? null : await listenDevTls(devServer, server, first, host);
      const devUrl = dev === null ? null : urlOf(dev, true);
      const listening: GatewayAddress = {
        host: info.address,
        port: info.port,
        url,
        realtimeUrl: `${url.replace(/^http/, 'ws')}/v1/realtime`,
        devTls:
          dev === null
            ? null
            : { port: dev.port, url: devUrl!, realtimeUrl: `${devUrl!.replace(/^http/, 'ws')}/v1/realtime` },
      };
      address = listening;
      await Promise.all(operators.map(startOperatorListener));
      if (internal !== null) await listenInternally(internal, options.internal!, holder, log);
      if (deployment !== undefined) {
        // A store that is down now is not fatal: the entry is made again at each renewal.
        await holder.join().catch((error: unknown) => {
          log.warn({ err: describeError(error) }, 'the store did not take this node yet; it is tried again');
        });
        // A subscription Redis did not confirm is made again when the bus next connects.
        await Promise.all([deploymentAdmin?.start(), sharedCircuits?.start()]).catch((error: unknown) => {
          log.warn(
            { err: describeError(error) },
            'the bus did not take a subscription yet; it is tried again',
          );
        });
      }
      return listening;
    },
    reload,
    close(closeOptions = {}) {
      closing ??= close(closeOptions);
      return closing;
    },
  };
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
    return await listenOn(devServer, { port, host });
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

/** A handler that tries `a`, then `b`. */
/** The handlers in order, until one answers. */
function firstOf(...handlers: readonly RequestHandler[]): RequestHandler {
  return async (req, res) => {
    for (const handler of handlers) if (await handler(req, res)) return true;
    return false;
  };
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
async function listenInternally(
  server: Server,
  where: NonNullable<GatewayOptions['internal']>,
  holder: StoreHolder,
  log: SessionLog,
): Promise<void> {
  const info = await listenOn(server, { port: where.port ?? 0, host: where.host, exclusive: true });
  const host = where.advertiseHost ?? info.address;
  const url = urlOf({ ...info, address: host, family: isIP(host) === 6 ? 'IPv6' : 'IPv4' }, false);
  // A store that is down now is not fatal: the address is put again at each renewal.
  await holder.advertise(url).catch((error: unknown) => {
    log.warn(
      { err: describeError(error) },
      "the store did not take this process's address yet; it is tried again",
    );
  });
}
