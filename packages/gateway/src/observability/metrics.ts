/**
 * The gateway's Prometheus metrics. The relay calls `frame()` for every frame, so frames and
 * bytes are tallied in plain numbers per (direction, type) and handed to prom-client when
 * `/metrics` is scraped: the hot path is a map lookup and two additions. Every label a client
 * influences is bounded: event types to the protocol's known types, model names to the
 * configured ones, keys to the configured keys (anything else counts as `other` or `none`), so
 * a client cannot blow up the label set.
 */
import type { ServerResponse } from 'node:http';
import {
  CLIENT_EVENT_TYPES,
  type ResponseUsage,
  SERVER_EVENT_TYPES,
  TRANSLATION_CLIENT_EVENT_TYPES,
  TRANSLATION_SERVER_EVENT_TYPES,
} from '@realtime-gateway/protocol';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { configuredModelNames } from '../config/model-names.js';
import type { GatewayConfig, UpstreamConfig } from '../config/resolve.js';
import type { GuardrailObserver } from '../guardrails/decisions.js';
import { GuardrailMetrics } from '../guardrails/metrics.js';
import type { RequestHandler } from '../http/server.js';
import { McpMetrics } from '../mcp/metrics.js';
import type { McpObserver } from '../mcp/observer.js';
import { RecordingMetrics } from '../recording/metrics.js';
import type { Refusal } from '../refusal.js';
import type { Direction, SessionObserver } from '../session/observer.js';
import type { EndCause } from '../session/state.js';
import type { ConnectResult } from '../upstream/connect.js';
import type { ClientResumeOutcome, SessionInfo, UpstreamReplacement } from '../vocabulary/session.js';
import { LedgerMetrics } from './ledger-metrics.js';

const KNOWN_TYPES: ReadonlySet<string> = new Set([
  ...CLIENT_EVENT_TYPES,
  ...SERVER_EVENT_TYPES,
  ...TRANSLATION_CLIENT_EVENT_TYPES,
  ...TRANSLATION_SERVER_EVENT_TYPES,
]);

/** The label for an event type: the type itself when the protocol knows it. */
export function typeLabel(type: string | null): string {
  if (type === null) return 'none';
  return KNOWN_TYPES.has(type) ? type : 'other';
}

/** The label for a key: its configured id, or `none` for anonymous and pass-through clients. */
function keyLabel(info: SessionInfo): string {
  return info.keyId ?? 'none';
}

/** Frames and bytes counted since the last scrape, for one (direction, type). */
interface FrameTally {
  readonly labels: { readonly direction: Direction; readonly type: string };
  frames: number;
  bytes: number;
}

export interface MetricsOptions {
  /** Registry to use (default: a new one). Workers of a cluster each have their own. */
  readonly registry?: Registry;
  /**
   * Model names that may be labels (see `configuredModelNames`); any other name a client asks
   * for is `other`, so clients cannot create series.
   */
  readonly models?: Iterable<string>;
  /** Also collect Node process metrics (CPU, memory, event loop lag). Default true. */
  readonly processMetrics?: boolean;
  /**
   * A `node` label on every series, for a deployment of several nodes scraped together (given
   * with `store.redis`; one node's workers share it, so their metrics still sum).
   */
  readonly node?: string;
}

/**
 * The metrics a configuration asks for: its model names may be labels, and a node of a shared
 * store labels every series with its id.
 *
 * @example
 * const metrics = config.metrics.enabled ? metricsFor(config) : null;
 */
export function metricsFor(config: GatewayConfig): GatewayMetrics {
  return new GatewayMetrics({
    models: configuredModelNames(config),
    ...(config.store.redis === null ? {} : { node: config.node.id }),
  });
}

/**
 * @example
 * const metrics = new GatewayMetrics({ models: configuredModelNames(config) });
 * const gateway = createGateway({ config, observer: metrics, onUpstreamAttempt: metrics.upstreamAttempt,
 *   onRefused: metrics.refused, mcpObserver: metrics.mcp, handlers: [metrics.handler] });
 */
export class GatewayMetrics implements SessionObserver {
  readonly registry: Registry;
  readonly mcp: McpObserver;
  /** Guardrail decisions, by guardrail, direction, action and cause. */
  readonly guardrails: GuardrailObserver;
  /** The usage ledger's: cost per key, transcription usage, the writer's health. */
  readonly ledger: LedgerMetrics;
  /** Session recordings: started, finished, bytes written, frames dropped. */
  readonly recordings: RecordingMetrics;
  private readonly active: Gauge<'model' | 'upstream'>;
  private readonly sessions: Counter<'outcome' | 'key'>;
  private readonly sessionSeconds: Histogram<'outcome'>;
  private readonly frames: Counter<'direction' | 'type'>;
  private readonly bytes: Counter<'direction' | 'type'>;
  private readonly connectSeconds: Histogram<'upstream'>;
  private readonly storeWaitSeconds: Histogram;
  private readonly connectFailures: Counter<'upstream' | 'kind'>;
  private readonly relayErrors: Counter<'reason'>;
  private readonly refusals: Counter<'status' | 'code'>;
  private readonly tokens: Counter<'model' | 'kind' | 'key'>;
  private readonly replacements: Counter<'outcome' | 'reason'>;
  private readonly replacementSeconds: Histogram<'outcome' | 'reason'>;
  private readonly resumes: Counter<'outcome'>;
  private readonly models: Set<string>;
  /** Per direction, the tallies by type label (bounded, unlike the types clients may send). */
  private readonly tallies: Record<Direction, Map<string, FrameTally>> = {
    client_to_upstream: new Map(),
    upstream_to_client: new Map(),
  };

  constructor(options: MetricsOptions = {}) {
    this.models = new Set(options.models ?? []);
    const registry = options.registry ?? new Registry();
    if (options.node !== undefined) registry.setDefaultLabels({ node: options.node });
    this.registry = registry;
    const registers = [registry];
    if (options.processMetrics !== false)
      collectDefaultMetrics({ register: registry, prefix: 'realtime_gateway_' });
    this.active = new Gauge({
      name: 'realtime_gateway_active_sessions',
      help: 'Sessions being relayed, by model and upstream.',
      labelNames: ['model', 'upstream'],
      registers,
    });
    this.sessions = new Counter({
      name: 'realtime_gateway_sessions_total',
      help: 'Sessions ended, by outcome and key.',
      labelNames: ['outcome', 'key'],
      registers,
    });
    this.sessionSeconds = new Histogram({
      name: 'realtime_gateway_session_duration_seconds',
      help: 'How long sessions lasted, by outcome.',
      labelNames: ['outcome'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    const metrics = this;
    this.frames = new Counter({
      name: 'realtime_gateway_frames_total',
      help: 'Frames relayed, by direction and event type.',
      labelNames: ['direction', 'type'],
      registers,
      collect() {
        metrics.flushTallies();
      },
    });
    this.bytes = new Counter({
      name: 'realtime_gateway_bytes_total',
      help: 'Bytes relayed, by direction and event type.',
      labelNames: ['direction', 'type'],
      registers,
    });
    this.connectSeconds = new Histogram({
      name: 'realtime_gateway_upstream_connect_seconds',
      help: 'Time to open an upstream connection, by upstream.',
      labelNames: ['upstream'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.storeWaitSeconds = new Histogram({
      name: 'realtime_gateway_admission_store_seconds',
      help: "Time a session's admission waited for the store (budget, rate token, slots) before the dial.",
      // Loopback Redis answers in well under a millisecond; the tail is what is watched.
      buckets: [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.connectFailures = new Counter({
      name: 'realtime_gateway_upstream_connect_failures_total',
      help: 'Failed upstream connection attempts, by upstream and kind (timeout, error, status).',
      labelNames: ['upstream', 'kind'],
      registers,
    });
    this.relayErrors = new Counter({
      name: 'realtime_gateway_relay_errors_total',
      help: 'Problems while relaying, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.refusals = new Counter({
      name: 'realtime_gateway_refusals_total',
      help: 'Sessions and connections refused before they started, by HTTP status and code.',
      labelNames: ['status', 'code'],
      registers,
    });
    this.tokens = new Counter({
      name: 'realtime_gateway_tokens_total',
      help: 'Tokens reported by response.done usage, by model, kind and key.',
      labelNames: ['model', 'kind', 'key'],
      registers,
    });
    this.replacements = new Counter({
      name: 'realtime_gateway_upstream_replacements_total',
      help: 'Sessions moved to a new upstream connection (continuity), by outcome and reason (lost or rollover).',
      labelNames: ['outcome', 'reason'],
      registers,
    });
    this.replacementSeconds = new Histogram({
      name: 'realtime_gateway_upstream_replacement_seconds',
      help: 'From an upstream connection lost (or a rollover begun) until the new one could answer.',
      labelNames: ['outcome', 'reason'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.resumes = new Counter({
      name: 'realtime_gateway_client_resumes_total',
      help: 'Clients that resumed their session (resumed, taken_over) or could not any more (expired, overflowed).',
      labelNames: ['outcome'],
      registers,
    });
    this.mcp = new McpMetrics(registry);
    this.guardrails = new GuardrailMetrics(registry);
    this.ledger = new LedgerMetrics(registry, (model) => this.modelLabel(model));
    this.recordings = new RecordingMetrics(registry);
  }

  /**
   * Adds model names a (reloaded) configuration spells out to those that get their own label;
   * names already known keep theirs, so the labels stay bounded by the configurations loaded.
   */
  knowModels(models: Iterable<string>): void {
    for (const model of models) this.models.add(model);
  }

  /**
   * `realtime_gateway_store_available`: 1 while the deployment's shared store answers, 0 while
   * it does not (read at each scrape).
   */
  watchStore(available: () => boolean): void {
    new Gauge({
      name: 'realtime_gateway_store_available',
      help: "Whether the deployment's shared store (Redis) answers: 1 or 0.",
      registers: [this.registry],
      collect() {
        this.set(available() ? 1 : 0);
      },
    });
  }

  /** The label for the model a client asked for: a configured name, or `other`. */
  modelLabel(model: string): string {
    return this.models.has(model) ? model : 'other';
  }

  sessionStarted(info: SessionInfo): void {
    this.active.inc({ model: this.modelLabel(info.model), upstream: info.upstreamName });
  }

  sessionEnded(info: SessionInfo, cause: EndCause, durationMs: number): void {
    this.active.dec({ model: this.modelLabel(info.model), upstream: info.upstreamName });
    this.sessions.inc({ outcome: cause, key: keyLabel(info) });
    this.sessionSeconds.observe({ outcome: cause }, durationMs / 1000);
  }

  frame(_info: SessionInfo, direction: Direction, type: string | null, bytes: number): void {
    const byType = this.tallies[direction];
    const label = typeLabel(type);
    let tally = byType.get(label);
    if (tally === undefined) {
      tally = { labels: { direction, type: label }, frames: 0, bytes: 0 };
      byType.set(label, tally);
    }
    tally.frames++;
    tally.bytes += bytes;
  }

  /** Moves the tallies into the counters; runs when the registry is scraped. */
  private flushTallies(): void {
    for (const tally of [
      ...this.tallies.client_to_upstream.values(),
      ...this.tallies.upstream_to_client.values(),
    ]) {
      if (tally.frames === 0) continue;
      this.frames.inc(tally.labels, tally.frames);
      this.bytes.inc(tally.labels, tally.bytes);
      tally.frames = 0;
      tally.bytes = 0;
    }
  }

  relayError(_info: SessionInfo, reason: string): void {
    this.relayErrors.inc({ reason });
  }

  /** A fault inside the embedded reference engine (counted as relay error `engine_fault`). */
  engineFault(): void {
    this.relayErrors.inc({ reason: 'engine_fault' });
  }

  usage(info: SessionInfo, usage: ResponseUsage): void {
    const input = usage.input_token_details;
    const output = usage.output_token_details;
    const model = this.modelLabel(info.model);
    const key = keyLabel(info);
    const add = (kind: string, value: number | null | undefined) => {
      if (typeof value === 'number' && value > 0) this.tokens.inc({ model, kind, key }, value);
    };
    add('input_text', input?.text_tokens);
    add('input_audio', input?.audio_tokens);
    add('input_image', input?.image_tokens);
    add('cached', input?.cached_tokens);
    add('output_text', output?.text_tokens);
    add('output_audio', output?.audio_tokens);
  }

  upstreamReplaced(info: SessionInfo, replacement: UpstreamReplacement): void {
    const labels = { outcome: replacement.outcome, reason: replacement.reason };
    this.replacements.inc(labels);
    this.replacementSeconds.observe(labels, replacement.durationMs / 1000);
    if (replacement.to !== null && replacement.to !== replacement.from) {
      const model = this.modelLabel(info.model);
      this.active.dec({ model, upstream: replacement.from });
      this.active.inc({ model, upstream: replacement.to });
    }
  }

  clientResume(_info: SessionInfo, outcome: ClientResumeOutcome): void {
    this.resumes.inc({ outcome });
  }

  /** For the admission's `onStoreWait`. */
  readonly admissionStoreWait = (ms: number): void => {
    this.storeWaitSeconds.observe(ms / 1000);
  };

  /** For `onUpstreamAttempt`. */
  readonly upstreamAttempt = (upstream: UpstreamConfig, result: ConnectResult): void => {
    if (result.ok) this.connectSeconds.observe({ upstream: upstream.name }, result.latencyMs / 1000);
    else this.connectFailures.inc({ upstream: upstream.name, kind: result.failure.kind });
  };

  /** For `onRefused`. */
  readonly refused = (refusal: Refusal): void => {
    this.refusals.inc({ status: String(refusal.status), code: refusal.code });
  };

  /** `GET /metrics` in the Prometheus text format. */
  readonly handler: RequestHandler = async (req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics' || req.method !== 'GET') return false;
    await writeMetrics(res, this.registry);
    return true;
  };
}

/** Writes a registry's metrics as an HTTP response. */
export async function writeMetrics(res: ServerResponse, registry: Registry): Promise<void> {
  const body = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(body);
}
