/**
 * What the session code says to tracing, without depending on it: a session's trace and the
 * spans within it. With telemetry off every call lands on {@link NO_TRACE}, so code that
 * traces costs a method call and nothing else.
 */

/** A span attribute's value: what OpenTelemetry attributes take. */
export type TraceValue = string | number | boolean | string[];

/** Attributes of a span, by name; null and undefined values are left out. */
export type TraceAttributes = Readonly<Record<string, TraceValue | null | undefined>>;

/** One timed operation within a session's trace. */
export interface TraceSpan {
  /** Adds or overwrites attributes. */
  set(attributes: TraceAttributes): void;
  /** Something that happened at a point in time within the span. */
  event(name: string, attributes?: TraceAttributes): void;
  /** Marks the span failed: `errorType` is a short, low-cardinality reason (`error.type`). */
  fail(errorType: string, message?: string): void;
  /** Ends the span (at most once; later calls do nothing). */
  end(): void;
}

/**
 * A session's trace: its root span, and the spans of its parts (the upstream connect, each
 * response, each tool call) as its children.
 *
 * @example
 * const connect = trace.span('upstream.connect', { 'realtime_gateway.upstream.name': 'openai' });
 * connect.end();
 */
export interface SessionTrace extends TraceSpan {
  /** Starts a child span of the session's. */
  span(name: string, attributes?: TraceAttributes): TraceSpan;
  /** Whether text (transcripts, answers) may go into attributes: `telemetry.recordText`. */
  readonly recordsText: boolean;
}

const noop = (): void => {};

/** A span that records nothing. */
export const NO_SPAN: TraceSpan = Object.freeze({ set: noop, event: noop, fail: noop, end: noop });

/** A trace that records nothing. */
export const NO_TRACE: SessionTrace = Object.freeze({
  ...NO_SPAN,
  span: () => NO_SPAN,
  recordsText: false,
});
