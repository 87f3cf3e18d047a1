/**
 * One edge of a session between two dialects: a middleware that turns the events of one
 * direction from one dialect into the other. The pipeline between the edges always speaks GA,
 * so every other middleware (MCP, budgets, input checking, metering) reads one protocol.
 *
 * An edge that turns a peer's events into GA stands first in its direction and hands GA
 * events on; an edge that turns GA into a peer's dialect stands last and hands on bytes, which
 * nothing after it parses. An event whose translation is only a new `type` (an audio delta) is
 * renamed in its bytes without being parsed.
 */
import {
  type DialectDirection,
  type EventSide,
  type EventTranslation,
  errorEvent,
  type ParseResult,
  retypeFrameInPlace,
  toErrorEvent,
  type UnsupportedField,
} from '@realtime-gateway/protocol';
import {
  DROP,
  FORWARD,
  type Frame,
  type Middleware,
  type MiddlewareContext,
  type Outcome,
} from '../session/middleware.js';

/** How many fields without an equivalent a session is told about; the rest only count. */
const TOLD_UNSUPPORTED = 32;

/** What one edge does. */
export interface EdgeSpec<Source> {
  readonly name: string;
  /** The pipeline direction it acts on: the client's events, or the upstream's. */
  readonly on: 'client' | 'upstream';
  readonly route: DialectDirection;
  /** Event types it translates; the others pass untouched. */
  readonly wants: ReadonlySet<string>;
  /**
   * The frame as an event of the dialect it comes in: a GA frame is the pipeline's own parse;
   * a beta one is parsed from its bytes.
   */
  readonly read: (frame: Frame<{ readonly type: string }>) => ParseResult<Source> | null;
  readonly translate: (event: Source) => EventTranslation<{ readonly type: string }>;
  /** `events`: hand GA events on to later middleware; `bytes`: the frame leaves as the peer's text. */
  readonly emit: 'events' | 'bytes';
}

/**
 * The edge as a middleware of one session.
 *
 * @example
 * const edge = edgeTranslator({ name: 'beta-client-in', on: 'client', route: 'beta-to-ga', wants, read, translate, emit: 'events' });
 */
export function edgeTranslator<Source>(spec: EdgeSpec<Source>): Middleware {
  const side: EventSide = spec.on === 'client' ? 'client' : 'server';
  // Each field is told once per session, and only so many: a client repeating it is not flooded.
  const told = new Set<string>();
  let untold = 0;

  const report = (fields: readonly UnsupportedField[], type: string, ctx: MiddlewareContext): void => {
    for (const field of fields) {
      const key = `${type} ${field.param}`;
      if (told.has(key)) continue;
      if (told.size >= TOLD_UNSUPPORTED) {
        untold++;
        continue;
      }
      told.add(key);
      ctx.sendClient(
        errorEvent({
          type: 'invalid_request_error',
          code: 'unsupported_in_dialect',
          message: `${field.message} (${type}, ${spec.route === 'beta-to-ga' ? 'beta to GA' : 'GA to beta'}).`,
          param: field.param,
        }),
      );
    }
  };

  const handle = (frame: Frame<{ readonly type: string }>, ctx: MiddlewareContext): Outcome<never> => {
    if (frame.data !== null) {
      // The frame's bytes are this session's alone (a leg's received message): renamed where they lie.
      const fast = retypeFrameInPlace(frame.data, side, spec.route);
      if (fast.kind === 'relay') return FORWARD;
      if (fast.kind === 'renamed') return rewrite(fast.frame, fast.type);
    }
    const read = spec.read(frame);
    if (read === null) return FORWARD;
    if (!read.ok) {
      // A client's malformed frame is answered as input checking would; the upstream's goes on as it came.
      if (spec.on === 'upstream') return FORWARD;
      ctx.sendClient(toErrorEvent(read.error));
      return DROP;
    }
    if (!read.known) return FORWARD;
    const translated = spec.translate(read.event);
    if (translated.unsupported.length > 0) report(translated.unsupported, frame.type ?? '', ctx);
    const events = translated.value;
    if (events.length === 0) return DROP;
    // Events sent while a frame is handled go out before it: all but the last, in order.
    for (let k = 0; k < events.length - 1; k++) {
      // The pipeline's types are GA's; an edge that emits bytes is last, so nothing reads these as GA.
      if (spec.on === 'client') ctx.sendUpstream(events[k] as never);
      else ctx.sendClient(events[k] as never);
    }
    const last = events[events.length - 1]!;
    if (spec.emit === 'events') return { action: 'replace', event: last as never };
    return rewrite(Buffer.from(JSON.stringify(last)), last.type);
  };

  return {
    name: spec.name,
    [spec.on]: spec.wants,
    ...(spec.on === 'client'
      ? { onClient: handle as Middleware['onClient'] }
      : { onUpstream: handle as Middleware['onUpstream'] }),
    close: () => (untold > 0 ? { [`${spec.name}.unsupportedUntold`]: untold } : undefined),
  };
}

/** A verdict that sends other bytes, an event of `type`, in the frame's place. */
function rewrite(data: Uint8Array, type: string): Outcome<never> {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { action: 'rewrite', data: bytes, type };
}
