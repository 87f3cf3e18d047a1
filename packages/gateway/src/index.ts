/**
 * `@realtime-gateway/gateway`: a gateway for the OpenAI Realtime API.
 *
 * @example
 * import { createGateway, loadConfig } from '@realtime-gateway/gateway';
 * const loaded = loadConfig({ file: 'gateway.yaml', env: process.env });
 * if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.field}: ${e.message}`).join('\n'));
 * const gateway = createGateway({ config: loaded.config });
 * await gateway.listen();
 */
export { type AdminRegistry, adminHandler } from './admin/admin.js';
export { Authenticator, type AuthResult, type Principal } from './auth/authenticator.js';
export { type Credential, extractCredential, hashKey, KEY_SUBPROTOCOL_PREFIX } from './auth/credentials.js';
export { SessionQuota } from './auth/quota.js';
export { TokenBucket } from './auth/rate-limit.js';
export {
  clusterAdminRegistry,
  clusterMetricsHandler,
  isClusterWorker,
  runPrimary,
} from './cluster/cluster.js';
export { engineUpstream, openAiUpstream, withDefaultUpstreams } from './config/defaults.js';
export {
  applyOverrides,
  type ConfigOverride,
  ENV_PREFIX,
  envOverrides,
  type LoadOptions,
  loadConfig,
  parseConfigText,
  setOverride,
} from './config/load.js';
export { redactConfig } from './config/redact.js';
export {
  type AuthMode,
  type ConfigError,
  DEFAULT_LIMITS,
  DEFAULT_ROUTING,
  DEFAULT_UPSTREAM,
  type GatewayConfig,
  type InputChecking,
  type KeyConfig,
  type Limits,
  type ResolveEnvironment,
  type ResolveResult,
  resolveConfig,
  type UpstreamConfig,
  type UpstreamKind,
} from './config/resolve.js';
export { type GatewayConfigInput, GatewayConfigSchema } from './config/schema.js';
export { type EmbeddedEngine, startEmbeddedEngine } from './embedded-engine.js';
export {
  type CloseOptions,
  createGateway,
  type Gateway,
  type GatewayAddress,
  type GatewayOptions,
} from './gateway.js';
export { type Access, createAccess, type UpstreamTarget } from './http/access.js';
export { type AdmissionLimits, ConnectionAdmission, type ConnectionCounts } from './http/admission.js';
export { healthHandler, type ReadinessSource } from './http/health.js';
export { sendRefusal, writeRefusal } from './http/respond.js';
export {
  createHttpServer,
  type HttpServerOptions,
  REALTIME_PATH,
  type RequestHandler,
  type UpgradeHandler,
} from './http/server.js';
export { parseRealtimeQuery, type RealtimeRequest } from './http/upgrade.js';
export type { Leg, LegListener } from './legs/leg.js';
export { WebSocketLeg } from './legs/websocket-leg.js';
export {
  DEFAULT_MCP,
  type McpConfig,
  McpConfigSchema,
  type McpServerConfig,
  urlAllowed,
} from './mcp/config.js';
export {
  McpConnection,
  type McpFailure,
  type McpServerSpec,
  type McpTool,
  type McpTransportSpec,
  type ToolCallOutcome,
} from './mcp/connection.js';
export { McpMetrics } from './mcp/metrics.js';
export { createMcpMiddleware, type McpMiddlewareOptions, type McpUpstream } from './mcp/middleware.js';
export type { CallOutcome, McpObserver } from './mcp/observer.js';
export { type Lease, McpPool } from './mcp/pool.js';
export { functionNameFor, ToolNames, type ToolRef } from './mcp/tool-names.js';
export { createLogger, type LogLevel, REDACTED_PATHS } from './observability/logger.js';
export { GatewayMetrics, type MetricsOptions, typeLabel } from './observability/metrics.js';
export { type Refusal, refusal, refusalBody } from './refusal.js';
export { type RestOptions, restHandler, rewriteLocation } from './rest/forward.js';
export { admit, type CircuitState, isAvailable, onFailure, onSuccess } from './routing/circuit.js';
export { type RoutePlan, Router, type UpstreamStatus } from './routing/router.js';
export { type CheckingMode, checkClientFrame, type FrameCheck, isPlainAppend } from './session/checking.js';
export { CloseCode, relayableCloseCode } from './session/close-codes.js';
export {
  type ExtensionContext,
  type ExtensionVerdict,
  fromExtension,
  type SessionExtension,
  type SessionExtensionFactory,
} from './session/extension.js';
export {
  DROP,
  FORWARD,
  type Frame,
  type Middleware,
  type MiddlewareContext,
  type MiddlewareFactory,
  type Outcome,
  type Verdict,
  type Wants,
} from './session/middleware.js';
export {
  type Direction,
  NO_LOG,
  NO_OBSERVER,
  type SessionLog,
  type SessionObserver,
} from './session/observer.js';
export {
  type ManagedSession,
  SessionRegistry,
  type SessionSnapshot,
  type SessionStats,
} from './session/registry.js';
export { Session, type SessionOptions } from './session/session.js';
export {
  type EndCause,
  isRelaying,
  type SessionEvent,
  type SessionState,
  transition,
} from './session/state.js';
export { type ConnectResult, connectUpstream, upstreamHeaders, upstreamUrl } from './upstream/connect.js';
export { type Dialled, dialWithFailover } from './upstream/dial.js';
export { type ServesModels, servesModel, specificity } from './vocabulary/models.js';
export type { SessionInfo } from './vocabulary/session.js';
