/**
 * {@link Tracing} with the OpenTelemetry SDK: spans batched and exported over OTLP/HTTP. The
 * provider is the gateway's own, not registered globally, so an application that embeds the
 * gateway keeps its own tracing setup.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { TelemetryConfig } from '../config/telemetry.js';
import type { SessionTrace, TraceAttributes, TraceSpan, TraceValue } from '../vocabulary/trace.js';
import type { Tracing, TracingIdentity } from './tracing.js';

/** The longest attribute value kept (a transcript, with `recordText`); longer ones are cut. */
const MAX_ATTRIBUTE_CHARS = 4096;
/** Spans waiting for export; beyond it new spans are dropped (and the drop reported). */
const MAX_QUEUED_SPANS = 4096;

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};

/**
 * Session traces exported to one OTLP/HTTP endpoint.
 *
 * @example
 * const tracing = new OtlpTracing(config.telemetry, config.telemetry.otlp, identity, warn);
 */
export class OtlpTracing implements Tracing {
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(
    private readonly config: TelemetryConfig,
    otlp: NonNullable<TelemetryConfig['otlp']>,
    identity: TracingIdentity,
    onExportFailure: (failure: { readonly spans: number; readonly message: string }) => void,
  ) {
    const exporter = new ReportingExporter(
      new OTLPTraceExporter({ url: otlp.url, headers: { ...otlp.headers }, timeoutMillis: otlp.timeoutMs }),
      onExportFailure,
    );
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({
        'service.name': config.serviceName,
        'service.version': identity.version,
        'service.instance.id': identity.instanceId,
      }),
      // A client's traceparent decides for its session; other sessions are sampled by ratio.
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
      spanLimits: { attributeValueLengthLimit: MAX_ATTRIBUTE_CHARS },
      spanProcessors: [
        new BatchSpanProcessor({
          exporter,
          maxQueueSize: MAX_QUEUED_SPANS,
          exportTimeoutMillis: otlp.timeoutMs,
        }),
      ],
    });
    this.tracer = this.provider.getTracer('realtime-gateway', identity.version);
  }

  session(headers: IncomingHttpHeaders, attributes: TraceAttributes): SessionTrace {
    const parent = this.propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    const span = this.tracer.startSpan(
      'realtime.session',
      { kind: SpanKind.SERVER, attributes: defined(attributes) },
      parent,
    );
    return new OtlpSessionTrace(this.tracer, span, this.config.recordText);
  }

  async close(): Promise<void> {
    await this.provider.shutdown();
  }
}

/** One span: the interface the session code holds. */
class OtlpSpan implements TraceSpan {
  private ended = false;

  constructor(protected readonly inner: Span) {}

  set(attributes: TraceAttributes): void {
    this.inner.setAttributes(defined(attributes));
  }

  event(name: string, attributes?: TraceAttributes): void {
    this.inner.addEvent(name, attributes === undefined ? undefined : defined(attributes));
  }

  fail(errorType: string, message?: string): void {
    this.inner.setAttribute('error.type', errorType);
    this.inner.setStatus({ code: SpanStatusCode.ERROR, ...(message === undefined ? {} : { message }) });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.inner.end();
  }
}

class OtlpSessionTrace extends OtlpSpan implements SessionTrace {
  constructor(
    private readonly tracer: Tracer,
    span: Span,
    readonly recordsText: boolean,
  ) {
    super(span);
  }

  span(name: string, attributes?: TraceAttributes): TraceSpan {
    const child = this.tracer.startSpan(
      name,
      { kind: kindOf(name), ...(attributes === undefined ? {} : { attributes: defined(attributes) }) },
      trace.setSpan(ROOT_CONTEXT, this.inner),
    );
    return new OtlpSpan(child);
  }
}

/** Calls out of the gateway are client spans; the rest are its own work. */
function kindOf(name: string): SpanKind {
  return name === 'upstream.connect' || name.startsWith('execute_tool') ? SpanKind.CLIENT : SpanKind.INTERNAL;
}

function defined(attributes: TraceAttributes): Record<string, TraceValue> {
  const out: Record<string, TraceValue> = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value != null) out[key] = value;
  }
  return out;
}

/**
 * The OTLP exporter, with failed exports reported: the SDK only tells its diagnostic logger,
 * which is silent unless set up globally.
 */
class ReportingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly onFailure: (failure: { readonly spans: number; readonly message: string }) => void,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS)
        this.onFailure({ spans: spans.length, message: result.error?.message ?? 'export failed' });
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
