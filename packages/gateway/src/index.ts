/**
 * `@realtime-gateway/gateway`: a gateway for the OpenAI Realtime API.
 *
 * What applications build with: the gateway and its lifecycle, its configuration, session
 * middleware, the leg and store interfaces, and the errors it answers with. Everything else is
 * the gateway's own and may change between releases.
 *
 * @example
 * import { createGateway, loadConfig } from '@realtime-gateway/gateway';
 * const loaded = loadConfig({ file: 'gateway.yaml', env: process.env });
 * if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.field}: ${e.message}`).join('\n'));
 * const gateway = createGateway({ config: loaded.config });
 * await gateway.listen();
 */

// The gateway
export type { AdminRegistry } from './admin/admin.js';
export { hashKey } from './auth/credentials.js';
export { applyHeapGrowth } from './cli/heap-growth.js';
export { type LoadOptions, loadConfig } from './config/load.js';
export { redactConfig } from './config/redact.js';
export {
  type AuthMode,
  type ConfigError,
  DEFAULT_LIMITS,
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
export type { GatewayConfigInput } from './config/schema.js';
export { type EmbeddedEngine, startEmbeddedEngine } from './embedded-engine.js';
export {
  type CloseOptions,
  createGateway,
  type Gateway,
  type GatewayAddress,
  type GatewayOptions,
  type ReloadResult,
} from './gateway.js';
export type { RequestHandler } from './http/server.js';
// Transport legs
export type { Leg, LegListener } from './legs/leg.js';
export { WebSocketLeg } from './legs/websocket-leg.js';
// What the gateway reports
export type { CallOutcome, McpObserver } from './mcp/observer.js';
export { createLogger, type LogLevel } from './observability/logger.js';
export { GatewayMetrics, type MetricsOptions } from './observability/metrics.js';
// Errors
export type { Refusal } from './refusal.js';
export type { UpstreamStatus } from './routing/router.js';
export { CloseCode } from './session/close-codes.js';
// Session middleware
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
export type { SessionObserver } from './session/observer.js';
export type { SessionSnapshot, SessionStats } from './session/registry.js';
export type { EndCause, SessionState } from './session/state.js';
// The store
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export {
  type DirectoryEntry,
  type PoolLimit,
  type SlotGrant,
  type SlotRequest,
  type Store,
  StoreError,
} from './store/store.js';
export type { ConnectResult } from './upstream/connect.js';
export type { AttemptListener } from './upstream/dial.js';
export type { Direction, SessionInfo, SessionLog } from './vocabulary/session.js';
export type { SessionTrace, TraceAttributes, TraceSpan, TraceValue } from './vocabulary/trace.js';
