/**
 * Session traces: one trace per session, exported over OTLP/HTTP when `telemetry.otlp` is set.
 * Nothing is exported by default, and then the OpenTelemetry SDK is not even loaded: sessions
 * get {@link NO_TRACE}.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { TelemetryConfig } from '../config/telemetry.js';
import { NO_TRACE, type SessionTrace, type TraceAttributes } from '../vocabulary/trace.js';

/** Makes the traces of sessions. */
export interface Tracing {
  /**
   * Starts the trace of one session. A `traceparent` (and `tracestate`) in `headers`, the
   * client's request's, makes the session a span of the client's own trace.
   */
  session(headers: IncomingHttpHeaders, attributes: TraceAttributes): SessionTrace;
  /** Exports what is still buffered, then stops. */
  close(): Promise<void>;
}

/** Tracing that records nothing. */
export const NO_TRACING: Tracing = Object.freeze({
  session: () => NO_TRACE,
  close: () => Promise.resolve(),
});

/** Who exports the traces, for their resource attributes. */
export interface TracingIdentity {
  /** `service.instance.id`: the process's id in the deployment. */
  readonly instanceId: string;
  /** `service.version`. */
  readonly version: string;
}

/**
 * Starts exporting session traces as `config` says, or {@link NO_TRACING} when it says nothing.
 * `onExportFailure` hears of failed exports (the collector is down, say), not of each span.
 *
 * @example
 * const tracing = await startTracing(config.telemetry, { instanceId: 'node-a', version: '0.1.0' }, warn);
 * const trace = tracing.session(req.headers, { 'gen_ai.request.model': 'gpt-realtime' });
 */
export async function startTracing(
  config: TelemetryConfig,
  identity: TracingIdentity,
  onExportFailure: (failure: { readonly spans: number; readonly message: string }) => void,
): Promise<Tracing> {
  if (config.otlp === null) return NO_TRACING;
  // The SDK and exporter load only for a gateway that exports.
  const { OtlpTracing } = await import('./otlp-tracing.js');
  return new OtlpTracing(config, config.otlp, identity, onExportFailure);
}
