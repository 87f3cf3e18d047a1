/**
 * Session middleware: code that acts inside a session, between the client and the upstream.
 *
 * A session runs an ordered list of middleware in each direction. Each middleware says which
 * event types it wants per direction; a frame whose type no middleware wants is relayed as the
 * bytes it came as, after a peek at its type and nothing more, so a middleware costs nothing on
 * audio frames it does not ask for. Handlers may be asynchronous: a direction keeps its order
 * exactly (a frame waits for the ones before it), up to `limits.maxHeldFrames` frames held.
 */
import type { ClientEvent, ProtocolError, ServerEvent } from '@realtime-gateway/protocol';
import type { Direction, SessionInfo, SessionLog } from '../vocabulary/session.js';
import type { SessionTrace } from '../vocabulary/trace.js';

/** What a middleware decides about one frame. */
export type Verdict<E> =
  /** Pass the frame on (its original bytes, unless an earlier middleware replaced it). */
  | { readonly action: 'forward' }
  /** Stop the frame here: the middleware answered or replaced it itself. */
  | { readonly action: 'drop' }
  /** Pass this event on instead. */
  | { readonly action: 'replace'; readonly event: E }
  /**
   * Pass these bytes on instead, an event of `type`: later middleware parse them if they ask
   * (a dialect's edge renames an audio delta without parsing it).
   */
  | { readonly action: 'rewrite'; readonly data: Buffer; readonly type: string };

/** Verdict constants, so a handler's common answer does not allocate. */
export const FORWARD = Object.freeze({ action: 'forward' }) as { readonly action: 'forward' };
export const DROP = Object.freeze({ action: 'drop' }) as { readonly action: 'drop' };

/**
 * One frame as a middleware sees it. `event` is parsed on first use, once per frame whatever
 * the number of middleware that read it; it is null for a frame that is not a known, valid
 * event (such a frame is still relayed unless input checking refuses it).
 */
export interface Frame<E> {
  readonly direction: Direction;
  /** The event type, peeked from the bytes; null for a frame without one. */
  readonly type: string | null;
  /** The bytes as received, or null once a middleware replaced the event or for an injected event. */
  readonly data: Buffer | null;
  /** The parsed event, or null when the frame is not a known, valid event. */
  readonly event: E | null;
  /** Why {@link event} is null for a frame that is not valid; null otherwise (and for unknown types). */
  readonly problem: ProtocolError | null;
  /** The event's `event_id`, when it has one. */
  readonly eventId: string | null;
  /** Set by the middleware whose {@link Middleware.recognize} vouched for the frame. */
  readonly recognized: boolean;
  /** Whether the frame was injected by a middleware rather than received. */
  readonly injected: boolean;
}

/** A handler's answer: at once, or once its work is done. */
export type Outcome<E> = Verdict<E> | Promise<Verdict<E>>;

/** Event types a middleware wants in one direction: a set, or `'all'` for every frame. */
export type Wants = ReadonlySet<string> | 'all';

/**
 * The session's side of the conversation with one middleware. An event sent here enters the
 * pipeline right after this middleware: later middleware, input checking and metrics see it.
 */
export interface MiddlewareContext {
  readonly info: SessionInfo;
  readonly log: SessionLog;
  /** Aborted when the session ends, for cancelling work the middleware started. */
  readonly signal: AbortSignal;
  /** The session's trace: a middleware's own work (a tool call, a check) may be a span of it. */
  readonly trace: SessionTrace;
  /** Sends an event towards the upstream, as if the client had sent it. */
  sendUpstream(event: ClientEvent): void;
  /** Sends an event towards the client, as if the upstream had sent it. */
  sendClient(event: ServerEvent): void;
  /**
   * Stops the client hearing more of a response's audio that its transport still holds, for a
   * response cut short: a WebRTC call drops what it has not played and tells the caller
   * `output_audio_buffer.cleared`. Nothing to do on a WebSocket, whose client has what was sent.
   */
  clearOutputAudio(responseId: string): void;
}

/**
 * What the client's transport did outside the event stream (a WebRTC call's leg), reported to
 * {@link Middleware.onClientLeg}.
 */
export type LegReport =
  /** A frame of the model's audio played to the client: PCM16 at 24 kHz; `continued` when it directly follows the one before. */
  | { readonly type: 'played'; readonly pcm: Buffer; readonly continued: boolean }
  /** An event the transport made and sent the client itself (`output_audio_buffer.*`), as JSON text. */
  | { readonly type: 'announced'; readonly text: string };

/**
 * Acts inside a session. Only frames of the types in `client` / `upstream` reach the handlers.
 *
 * @example
 * const logCalls: Middleware = {
 *   name: 'log-calls',
 *   upstream: new Set(['response.function_call_arguments.done']),
 *   onUpstream(frame) { console.log(frame.event); return FORWARD; },
 * };
 */
export interface Middleware {
  /** For logs and errors; unique within a session's list. */
  readonly name: string;
  /** Types wanted from the client (default: none). */
  readonly client?: Wants;
  /** Types wanted from the upstream (default: none). */
  readonly upstream?: Wants;
  /**
   * Recognises a client frame from its bytes with a check of its own, and names its type; the
   * frame then skips the type peek. A recognised frame that no other middleware wants is
   * relayed at once, without reaching any handler (this one's included: recognising it was its
   * verdict); otherwise it reaches the handlers marked `recognized`. For input checking, whose
   * scan of an audio append already proves the frame valid.
   */
  recognize?(data: Buffer): string | null;
  /** Called once the session starts, before any frame is relayed. */
  open?(ctx: MiddlewareContext): void;
  onClient?(frame: Frame<ClientEvent>, ctx: MiddlewareContext): Outcome<ClientEvent>;
  onUpstream?(frame: Frame<ServerEvent>, ctx: MiddlewareContext): Outcome<ServerEvent>;
  /**
   * What the client's transport did outside the event stream (see {@link LegReport}): on a
   * call, a report every 20 ms while audio plays, so it must be cheap.
   */
  onClientLeg?(report: LegReport, ctx: MiddlewareContext): void;
  /** Called once when the session ends, whatever the reason; the returned fields join its last log line. */
  close?(ctx: MiddlewareContext): Readonly<Record<string, unknown>> | undefined;
}

/** Creates a middleware for one session, or null when it does not apply to the session. */
export type MiddlewareFactory = (info: SessionInfo) => Middleware | null;
